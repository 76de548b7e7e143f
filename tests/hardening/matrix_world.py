"""Objects of the access matrix: for each URL parameter, one object per scope (own, team, ward, city).

Every scope's people carry unmistakable marker values (`MARK`): names, address, phone, free text,
GPS points, volunteer names. `markers(scope)` lists them by kind, so the matrix can grep each answer
for the personal data a role may not have.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

from survey_app.accounts import sessions
from survey_app.accounts.models import Role, SessionKind
from survey_app.accounts.operations import issue_password_link
from survey_app.clock import local_today
from survey_app.collection import media
from survey_app.collection.models import QuarantinedSubmission, SubmissionFile
from survey_app.exports.models import ExportJob, ExportStatus
from survey_app.extensions import db
from survey_app.formdefs.models import FormStatus, FormVersion
from survey_app.formdefs.schema import FormSchema
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.planning.operations import generate_plan
from survey_app.planning.planner import PlanSettings
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace, SupportType
from survey_app.sync.refused import RefusedRecord
from survey_app.teams import enrollment, import_operations
from survey_app.teams.models import ImportKind
from survey_app.teams.operations import ensure_self_survey_token
from survey_app.training.models import ClassSession
from tests.collection.forms import FORM_ID, SCHEMA
from tests.exports.data import WHEN, interview, member
from tests.factories import make_team, make_user

#: own: team 1 of ward A (the surveyor's); team: team 2 of ward A; ward: ward B (same city); city: ward C.
SCOPES = ("own", "team", "ward", "city")
GROUPS_CSV = "code,name,expected_households\nTDP10,Tổ dân phố số 10,215\n"
#: Written into every planted personal value: no page or answer carries it by chance.
MARK = "Dấuvết"


def markers(scope: str) -> dict[str, tuple]:
    """The planted personal values of one scope, by kind: resident (names, address, phone, free text),
    point (a household's GPS latitude and longitude) and volunteer (the team members' names)."""
    index = SCOPES.index(scope)
    return {
        "resident": (
            f"Nguyễn Văn {MARK}-{scope}",
            f"Trần Thị {MARK}-{scope}",
            f"Số 99 Ngõ {MARK}-{scope}",
            f"09123456{index}{index}",
            f"ghi chú {MARK}-{scope}",
            f"nhận xét {MARK}-{scope}",
            f"hỗ trợ {MARK}-{scope}",
            f"Lê Học {MARK}-{scope}",
            f"Giảng viên {MARK}-{scope}",
        ),
        "point": (20.8612345 + index / 1000, 106.6812345 + index / 1000),
        "volunteer": (f"Tình nguyện viên {MARK}-{scope}", f"Tổ trưởng {MARK}-{scope}"),
    }


def _plant(world, scope, group, household, team, user, ward):
    """The scope's personal data, with marker values: household, members, interview, visit, support, learner."""
    resident, point, volunteer = markers(scope).values()
    head, member_name, address, phone, note, review, support_text, learner, trainer = resident
    household.head_name, household.address, household.phone = head, address, phone
    people = sorted(household.members, key=lambda person: person.line_no)
    people[0].full_name, people[1].full_name = head, member_name
    user.full_name = volunteer[0]
    if scope == "own":
        world.leader_1.full_name = volunteer[1]
    submission = interview(household, user, [member(head, 1971), member(member_name, 1975)], address=address)
    submission.answers = {**submission.answers, "a4_phone": phone, "a10_home_support_other": note}
    submission.review_comment = review
    db.session.flush()
    photo = b"\xff\xd8\xff\xe0 a photo of " + scope.encode()
    db.session.add(
        SubmissionFile(
            ward_id=ward.id,
            submission_id=submission.id,
            name="photo.jpg",
            field="a_photo",
            content_type="image/jpeg",
            sha256=media.write(ward.id, photo),
            size=len(photo),
            received_at=WHEN,
        )
    )
    for visit in household.visits:
        visit.latitude, visit.longitude = point
    event = SupportEvent(
        ward_id=ward.id,
        uuid=str(uuid.uuid4()),
        volunteer_id=user.id,
        survey_team_id=team.id,
        residential_group_id=group.id,
        household_id=household.id,
        person_id=people[0].id,
        occurred_at=WHEN + timedelta(days=1),
        place=SupportPlace.OTHER,
        place_other=support_text,
        outcome=SupportOutcome.FOLLOW_UP,
        minutes=20,
        other_text=note,
    )
    db.session.add(event)
    db.session.flush()
    return submission, (learner, trainer)


def _scope_objects(world, scope, group, household, team, user, ward, plan=None) -> dict:
    """One object of each kind in `group` / `ward`."""
    submission, (learner, trainer) = _plant(world, scope, group, household, team, user, ward)
    quarantined = QuarantinedSubmission(
        uuid=f"00000000-0000-4000-8000-00000000000{SCOPES.index(scope)}",
        ward_id=ward.id,
        residential_group_id=group.id,
        surveyor_id=user.id,
        survey_team_id=team.id,
        form_id="household_survey",
        form_version="2025.1",
        payload={"uuid": "x"},
        errors=[],
        content_hash="0" * 64,
    )
    kind = SupportType(ward_id=ward.id, code=f"k{scope}", name_vi="Hỗ trợ", name_en="Support")
    job = ExportJob(
        ward_id=ward.id,
        user_id=(world.admin_a if scope == "own" else user).id,
        status=ExportStatus.FAILED,
        group_ids=[group.id],
        error="x",
    )
    preview = import_operations.read_upload(ImportKind.GROUPS, ("groups.csv", GROUPS_CSV.encode()))
    batch = import_operations.stage(ward, ImportKind.GROUPS, preview, user)
    db.session.flush()
    plan = plan or generate_plan(ward, PlanSettings(min_size=1), user)
    schema = FormSchema.from_dict({**SCHEMA, "version": f"t.{scope}"})
    version = FormVersion(
        ward_id=ward.id,
        form_id=FORM_ID,
        version=schema.version,
        title=schema.title,
        status=FormStatus.DRAFT,
        filename="t.xlsx",
        source=b"t",
        source_sha256=hashlib.sha256(scope.encode()).hexdigest(),
        schema=schema.to_dict(),
        xform="<h:html/>",
        warnings=[],
    )
    kept = RefusedRecord(
        ward_id=ward.id,
        uuid=None,
        kind="visit",
        status=403,
        code="forbidden",
        message="x",
        body=json.dumps({"uuid": "x", "scope": scope}),
        body_hash=scope * 16,
        sender_id=user.id,
        survey_team_id=team.id,
        received_at=WHEN,
        last_received_at=WHEN,
    )
    db.session.add_all([quarantined, kind, job, version, kept])
    db.session.flush()
    lesson = PlanClass(
        ward_id=ward.id,
        plan_id=plan.id,
        module="m1",
        venue_group_id=group.id,
        time_slot="weekend",
        level_band="L0-L1",
        session=1,
        trainer_name=trainer,
    )
    db.session.add(lesson)
    db.session.flush()
    db.session.add(
        PlanLearner(
            ward_id=ward.id,
            plan_id=plan.id,
            plan_class_id=lesson.id,
            module="m1",
            submission_id=submission.id,
            line_no=2,
            residential_group_id=group.id,
            full_name=learner,
            level="L0",
            reasons="",
        )
    )
    # a session of the class today, with its trainer's name: the phone's attendance list shows it
    db.session.add(
        ClassSession(
            ward_id=ward.id,
            plan_class_id=lesson.id,
            held_on=local_today(),
            starts_at="19:30",
            venue="Nhà văn hoá",
            trainer_name=trainer,
        )
    )
    db.session.flush()
    return {
        "ward_id": ward.id,
        "group_id": group.id,
        "team_id": team.id,
        "user_id": user.id,
        "submission_id": submission.id,
        "row_id": quarantined.id,
        "refused_id": kept.id,
        "type_id": kind.id,
        "job_id": job.id,
        "batch_id": batch.id,
        "plan_id": plan.id,
        "class_id": lesson.id,
        "version_id": version.id,
        "token": ensure_self_survey_token(group),
        "version": version.version,
        "enroll_token": enrollment.issue(user, None)[0],
        "session_id": sessions.open_session(user, SessionKind.PASSWORD).id,
        "password_token": issue_password_link(None, user)[0],
        **_collect_device(user),
    }


def _collect_device(user) -> dict:
    """A Collect device of the scope's member: its token and id."""
    from survey_app.openrosa.operations import create_device

    device, token = create_device(user, "Collect", user)
    return {"collect_token": token, "device_id": device.id}


def build_matrix(world) -> dict[str, dict]:
    """URL values per scope, committed."""
    team_c = make_team(world.ward_c, 1, [world.group_c1])
    surveyor_b = make_user("surveyor_b", Role.SURVEYOR, ward=world.ward_b, team=world.team_b)
    surveyor_c = make_user("surveyor_c", Role.SURVEYOR, ward=world.ward_c, team=team_c)
    own = _scope_objects(world, "own", world.group_a1, world.hh_a1, world.team_1, world.surveyor_1, world.ward_a)
    values = {
        "own": own,
        "team": _scope_objects(
            world,
            "team",
            world.group_a2,
            world.hh_a2,
            world.team_2,
            world.surveyor_2,
            world.ward_a,
            db.session.get(TrainingPlan, own["plan_id"]),
        ),
        "ward": _scope_objects(world, "ward", world.group_b1, world.hh_b1, world.team_b, surveyor_b, world.ward_b),
        "city": _scope_objects(world, "city", world.group_c1, world.hh_c1, team_c, surveyor_c, world.ward_c),
    }
    db.session.commit()
    return values
