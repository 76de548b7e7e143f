"""`survey-app` with the test job kinds loaded: `python -m tests.jobs.worker_process worker ...`."""

import tests.jobs.kinds  # noqa: F401
from survey_app.cli import main

if __name__ == "__main__":
    main()
