from tests.collection.conftest import form_a, surveyor  # noqa: F401  (the collection's fixtures)
