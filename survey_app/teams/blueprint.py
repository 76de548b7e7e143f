"""Every URL rule of teams."""

from flask import Blueprint

from survey_app.teams import views

bp = Blueprint("teams", __name__, template_folder="templates")

POST = {"methods": ["POST"]}

bp.add_url_rule("/team", "my_team", views.my_team)
bp.add_url_rule("/teams", "team_list", views.team_list)
bp.add_url_rule("/teams/<team_id>", "team_detail", views.team_detail)
bp.add_url_rule("/teams/<team_id>/devices", "team_devices", views.team_devices)
bp.add_url_rule("/teams/standing", "create_standing_team", views.create_standing_team, **POST)
bp.add_url_rule("/teams/split", "split_teams", views.split_teams, **POST)
bp.add_url_rule("/teams/assign", "auto_assign", views.auto_assign, **POST)
bp.add_url_rule("/teams/<team_id>/leader", "set_leader", views.set_leader, **POST)
bp.add_url_rule("/teams/<team_id>/cards", "team_cards", views.team_cards, **POST)
bp.add_url_rule("/teams/groups/<group_id>/team", "move_group", views.move_group, **POST)
bp.add_url_rule("/teams/groups/<group_id>/cut", "move_cut", views.move_cut, **POST)
bp.add_url_rule("/teams/groups/<group_id>/poster", "group_poster", views.group_poster)
bp.add_url_rule("/teams/groups/<group_id>/poster/rotate", "rotate_poster_link", views.rotate_poster_link, methods=["POST"])
bp.add_url_rule("/teams/members/<user_id>/team", "move_member", views.move_member, **POST)
bp.add_url_rule("/teams/members/<user_id>/card", "member_card", views.member_card, **POST)
bp.add_url_rule("/teams/members/<user_id>/revoke", "revoke_tokens", views.revoke_tokens, **POST)
bp.add_url_rule("/teams/imports/<kind>", "import_upload", views.import_upload, methods=["GET", "POST"])
bp.add_url_rule("/teams/imports/batches/<batch_id>", "import_preview", views.import_preview)
bp.add_url_rule("/teams/imports/batches/<batch_id>/confirm", "import_confirm", views.import_confirm, **POST)
bp.add_url_rule("/teams/imports/batches/<batch_id>/discard", "import_discard", views.import_discard, **POST)
bp.add_url_rule("/enroll/<token>", "enroll", views.enroll, methods=["GET", "POST"])
