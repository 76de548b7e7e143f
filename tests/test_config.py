"""Configuration from the environment, with safe embedded defaults."""

from pathlib import Path

from survey_app import create_app


def test_embedded_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    monkeypatch.delenv("SURVEY_SECRET_KEY", raising=False)
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'survey.db'}"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "vi"
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    key_file = Path(tmp_path / "secret_key")
    assert key_file.exists() and len(app.config["SECRET_KEY"]) >= 32
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]  # kept across restarts
    assert key_file.stat().st_mode & 0o077 == 0


def test_environment_and_override(monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SURVEY_DATABASE_URL", "sqlite:///" + str(tmp_path / "other.db"))
    monkeypatch.setenv("SURVEY_SECURE_COOKIES", "1")
    monkeypatch.setenv("SURVEY_LOGIN_MAX_FAILURES_ACCOUNT", "3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["LOGIN_MAX_FAILURES_ACCOUNT"] == 3
    overridden = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.db")})
    assert overridden.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_readme_documents_every_setting():
    from survey_app.config import ENV_SETTINGS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in ENV_SETTINGS:
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"


def test_a_new_instance_folder_is_made_for_the_embedded_database(monkeypatch, tmp_path):
    """SURVEY_INSTANCE_PATH naming a folder not made yet, with the secret key given: `survey-app demo`
    failed with 'unable to open database file'."""
    import sqlalchemy as sa

    from survey_app import create_app
    from survey_app.extensions import db

    folder = tmp_path / "new" / "instance"
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(folder))
    monkeypatch.setenv("SURVEY_SECRET_KEY", "a-secret-given-here")
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    app = create_app()
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        db.engine.dispose()
    assert folder.is_dir()
