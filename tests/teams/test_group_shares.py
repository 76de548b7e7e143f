"""Groups split between teams: stored shares, who sees which households, team figures, moving a cut."""

import sqlalchemy as sa

from survey_app.access import visible, visible_household_rows
from survey_app.accounts.models import User
from survey_app.clock import local_today
from survey_app.collection.models import Household, HouseholdStatus, Visit, VisitOutcome
from survey_app.collection.queries import households_with_roster, phone_groups
from survey_app.dashboard import shares
from survey_app.dashboard.models import ShareFigure
from survey_app.dashboard.queries import group_coverage, team_coverage
from survey_app.dashboard.tasks import derive_pending
from survey_app.extensions import db
from survey_app.sync import outbox
from survey_app.teams import operations, queries
from survey_app.teams.models import Assignment
from tests.factories import make_household
from tests.teams.conftest import audit, post, sign_in


def _listed(world, n=6):
    """Six households of TDP01 from the ward's list (positions 1..6, in id order); TDP01 expects 6."""
    group = world.group_a1
    group.expected_households = 6
    households = []
    for i in range(1, n + 1):
        household = make_household(group, f"Số {i}, ngõ 3", f"Chủ hộ {i}", members=1)
        household.list_key = f"list:{i}"
        households.append(household)
    db.session.flush()
    return households


def _split(world, cut=3):
    """TDP01: team 1 takes households 1..cut, team 2 the rest (and households beyond the list)."""
    households = _listed(world)
    assert operations.split_group(world.group_a1, [(world.team_1, 1, cut), (world.team_2, cut + 1, 6)], local_today())
    db.session.commit()
    return households


def _seen(username, model=Household, *where):
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
    return set(db.session.scalars(sa.select(model.id).where(visible(model, user), *where)))


def test_split_is_stored_as_contiguous_shares_and_audited(app, world):
    _split(world)
    shares = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.residential_group_id == world.group_a1.id, Assignment.current_clause(local_today()))
        .order_by(Assignment.first_position)
    ).all()
    assert [(a.survey_team_id, a.first_position, a.last_position) for a in shares] == [
        (world.team_1.id, 1, 3),
        (world.team_2.id, 4, None),
    ]
    event = audit("team.group_split")[-1]
    assert event.detail["to"] == [[world.team_1.id, 1, 3], [world.team_2.id, 4, None]]
    assert queries.split_groups(world.ward_a.id, local_today())[world.group_a1.id] == [
        {"team_id": world.team_1.id, "team_number": 1, "first": 1, "last": 3},
        {"team_id": world.team_2.id, "team_number": 2, "first": 4, "last": 6},
    ]
    # the same split again changes nothing
    assert not operations.split_group(world.group_a1, [(world.team_1, 1, 3), (world.team_2, 4, 6)], local_today())


def test_each_team_sees_the_households_of_its_share(app, world):
    listed = _split(world)
    ids = [h.id for h in listed]
    door = world.hh_a1.id  # registered at the door (no list_key): every sharing team sees it
    in_a1 = Household.residential_group_id == world.group_a1.id
    assert _seen("leader_1", Household, in_a1) == {*ids[:3], door}
    assert _seen("surveyor_1", Household, in_a1) == {*ids[:3], door}
    assert _seen("surveyor_2", Household, in_a1) == {*ids[3:], door}
    assert _seen("surveyor_2") == {*ids[3:], door, world.hh_a2.id}  # and its own whole group
    assert _seen("admin_a", Household, in_a1) == {*ids, door}
    # what is recorded about a household follows it
    visit = Visit(
        ward_id=world.ward_a.id, household_id=ids[4], residential_group_id=world.group_a1.id, outcome=VisitOutcome.NOBODY_HOME
    )
    db.session.add(visit)
    db.session.commit()
    assert visit.id in _seen("surveyor_2", Visit) and visit.id not in _seen("leader_1", Visit)
    # the phone's list of the group
    surveyor_2 = db.session.execute(sa.select(User).where(User.username == "surveyor_2")).scalar_one()
    assert {h["id"] for h in households_with_roster(surveyor_2, world.group_a1.id)} == {*ids[3:], door}
    by_group = {g.id: g for g in phone_groups(surveyor_2)}
    assert by_group[world.group_a1.id].expected_households == 3  # the share's 4..6
    assert by_group[world.group_a1.id].listed == 4  # 4..6, and the door household: counted in the last share
    leader = db.session.execute(sa.select(User).where(User.username == "leader_1")).scalar_one()
    assert {g.id: g.listed for g in phone_groups(leader)} == {world.group_a1.id: 3}


def test_the_batch_paths_scope_check_equals_visible(app, world):
    """access.visible_household_rows (the batch write path's check, in Python) selects what `visible`
    selects, for every role, whole groups, both shares, the household registered at the door and another
    ward's household, in a split ward and after the cut moves."""
    listed = _split(world)
    every = [*(h.id for h in listed), world.hh_a1.id, world.hh_a2.id, world.hh_b1.id]
    users = db.session.scalars(sa.select(User).where(User.ward_id.is_not(None))).all()
    assert {u.role.value for u in users} >= {"surveyor", "team_leader", "ward_admin"}
    for cut in (3, 5):
        assert (
            operations.split_group(world.group_a1, [(world.team_1, 1, cut), (world.team_2, cut + 1, 6)], local_today())
            or cut == 3
        )
        db.session.commit()
        for user in users:
            rows = visible_household_rows(user, every, Household.status)
            assert {row.id for row in rows} == _seen(user.username, Household, Household.id.in_(every)), (user.username, cut)
            assert all(row.status is not None for row in rows)
    assert visible_household_rows(users[0], []) == []


def test_team_figures_count_the_share_not_the_whole_group(app, world):
    listed = _split(world)
    listed[1].status = HouseholdStatus.DONE  # team 1's
    listed[4].status = HouseholdStatus.DONE  # team 2's
    listed[5].status = HouseholdStatus.DONE
    db.session.commit()
    admin = db.session.execute(sa.select(User).where(User.username == "admin_a")).scalar_one()
    rows = {r.SurveyTeam.id: r for r in queries.team_rows(admin, world.ward_a.id, local_today())}
    assert (rows[world.team_1.id].expected, rows[world.team_1.id].done, rows[world.team_1.id].groups) == (3, 1, 1)
    assert (rows[world.team_2.id].expected, rows[world.team_2.id].done, rows[world.team_2.id].groups) == (3 + 80, 2, 2)
    coverage = {t["id"]: t for t in team_coverage(admin, world.ward_a.id, group_coverage(admin, world.ward_a.id))}
    assert (coverage[world.team_1.id]["expected"], coverage[world.team_1.id]["done"]) == (3, 1)
    assert (coverage[world.team_2.id]["expected"], coverage[world.team_2.id]["done"]) == (83, 2)
    assert coverage[world.team_2.id]["listed"] == 3 + 1 + 1  # its share, the door household, TDP02's one
    assert coverage[world.team_1.id]["group_codes"] == ["TDP01"]
    assert sorted(coverage[world.team_2.id]["group_codes"]) == ["TDP01", "TDP02"]
    leader = db.session.execute(sa.select(User).where(User.username == "leader_1")).scalar_one()
    mine = team_coverage(leader, world.ward_a.id, group_coverage(leader, world.ward_a.id))
    assert [(t["id"], t["expected"], t["done"]) for t in mine] == [(world.team_1.id, 3, 1)]


def _admin_team_coverage(world) -> dict:
    admin = db.session.execute(sa.select(User).where(User.username == "admin_a")).scalar_one()
    return {t["id"]: t for t in team_coverage(admin, world.ward_a.id, group_coverage(admin, world.ward_a.id))}


def test_share_figures_kept_by_the_worker_are_read_only_while_they_still_hold(app, world):
    """The tick keeps each split group's share figures; a read takes them while the shares are those they
    were counted for and they add up to the group's live counts, and counts afresh otherwise: the
    figures shown are the same either way."""
    listed = _split(world)
    group = world.group_a1
    for household, outcome in ((listed[1], VisitOutcome.INTERVIEWED), (listed[4], VisitOutcome.NOBODY_HOME)):
        db.session.add(Visit(ward_id=world.ward_a.id, household_id=household.id, residential_group_id=group.id, outcome=outcome))
        household.apply_visit_outcome(outcome)
        outbox.note(world.ward_a.id, household_id=household.id)
    db.session.commit()
    live = _admin_team_coverage(world)
    assert derive_pending() == 2  # the tick: the households' figures, then their group's shares
    db.session.commit()
    kept_rows = db.session.scalars(
        sa.select(ShareFigure).where(ShareFigure.residential_group_id == group.id).order_by(ShareFigure.first_position)
    ).all()
    assert [(r.survey_team_id, r.first_position, r.last_position, r.done, r.revisit, r.visited) for r in kept_rows] == [
        (world.team_1.id, 1, 3, 1, 0, 1),
        (world.team_2.id, 4, None, 0, 1, 1),
    ]
    rows = {g["id"]: g for g in group_coverage(db.session.get(User, world.admin_a.id), world.ward_a.id)}
    assert set(shares.kept(world.ward_a.id, [group.id], rows)) == {group.id}  # read, not counted
    assert _admin_team_coverage(world) == live
    # a visit stored since the tick: the kept figures no longer add up, so the group is counted afresh
    db.session.add(
        Visit(ward_id=world.ward_a.id, household_id=listed[5].id, residential_group_id=group.id, outcome=VisitOutcome.REFUSED)
    )
    listed[5].apply_visit_outcome(VisitOutcome.REFUSED)
    db.session.commit()
    rows = {g["id"]: g for g in group_coverage(db.session.get(User, world.admin_a.id), world.ward_a.id)}
    assert shares.kept(world.ward_a.id, [group.id], rows) == {}
    after = _admin_team_coverage(world)
    assert (after[world.team_2.id]["refused"], after[world.team_2.id]["visited"]) == (1, live[world.team_2.id]["visited"] + 1)
    # a moved cut: the kept figures were counted for other shares
    assert operations.move_cut(group, 0, 5, local_today())
    db.session.commit()
    rows = {g["id"]: g for g in group_coverage(db.session.get(User, world.admin_a.id), world.ward_a.id)}
    assert shares.kept(world.ward_a.id, [group.id], rows) == {}
    moved = _admin_team_coverage(world)
    assert moved[world.team_1.id]["listed"] == 5 and moved[world.team_1.id]["revisit"] == 1  # household 5 is now team 1's
    shares.rewrite([group.id])
    db.session.commit()
    assert set(shares.kept(world.ward_a.id, [group.id], rows)) == {group.id}
    assert _admin_team_coverage(world) == moved


def test_team_page_shows_the_share(client, world):
    _split(world)
    sign_in(client, "leader_1")
    html = client.get(f"/teams/{world.team_1.id}").get_data(as_text=True)
    assert "Team 1: households 1–3" in html
    admin = sign_in(client.application.test_client(), "admin_a")
    html = admin.get("/teams").get_data(as_text=True)
    assert "Team 1: households 1–3; Team 2: households 4–6" in html
    assert 'data-testid="cut-form"' in html
    assert "Team 1 and 1 other teams" in admin.get("/ward").get_data(as_text=True)


def test_admin_moves_the_cut(client, world):
    _split(world)
    sign_in(client, "admin_a")
    response = post(client, f"/teams/groups/{world.group_a1.id}/cut", {"index": 0, "last": 5}, follow_redirects=True)
    assert "The split of residential group TDP01 was changed" in response.get_data(as_text=True)
    shares = queries.split_groups(world.ward_a.id, local_today())[world.group_a1.id]
    assert [(s["team_id"], s["first"], s["last"]) for s in shares] == [(world.team_1.id, 1, 5), (world.team_2.id, 6, 6)]
    event = audit("team.split_moved")[-1]
    assert event.detail["from"] == [[world.team_1.id, 1, 3], [world.team_2.id, 4, None]]
    assert event.detail["to"] == [[world.team_1.id, 1, 5], [world.team_2.id, 6, None]]
    # the old shares end, nothing is deleted
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Assignment).where(Assignment.residential_group_id == world.group_a1.id)
        )
        == 5
    )  # the first whole one, two old, two new


def test_a_cut_out_of_range_is_refused_with_a_clear_message(client, world):
    _split(world)
    sign_in(client, "admin_a", lang="vi")
    for last in (6, 0, 40):
        response = post(
            client, f"/teams/groups/{world.group_a1.id}/cut", {"index": 0, "last": last}, lang="vi", follow_redirects=True
        )
        assert "Điểm chia phải nằm từ hộ thứ 1 đến hộ thứ 5 của tổ dân phố." in response.get_data(as_text=True)
    response = post(
        client, f"/teams/groups/{world.group_a1.id}/cut", {"index": 0, "last": "abc"}, lang="vi", follow_redirects=True
    )
    assert "Traceback" not in response.get_data(as_text=True) and response.status_code == 200
    response = post(client, f"/teams/groups/{world.group_a2.id}/cut", {"index": 0, "last": 2}, lang="vi", follow_redirects=True)
    assert "không còn được chia" in response.get_data(as_text=True)
    assert not audit("team.split_moved")
    shares = queries.split_groups(world.ward_a.id, local_today())[world.group_a1.id]
    assert [(s["first"], s["last"]) for s in shares] == [(1, 3), (4, 6)]


def test_only_the_ward_admin_moves_a_cut(client, world):
    _split(world)
    sign_in(client, "leader_1")
    assert post(client, f"/teams/groups/{world.group_a1.id}/cut", {"index": 0, "last": 5}).status_code == 403
    other = sign_in(client.application.test_client(), "admin_b")
    assert post(other, f"/teams/groups/{world.group_a1.id}/cut", {"index": 0, "last": 5}).status_code == 403
    assert [(s["first"], s["last"]) for s in queries.split_groups(world.ward_a.id, local_today())[world.group_a1.id]] == [
        (1, 3),
        (4, 6),
    ]


def test_giving_the_whole_group_to_a_team_ends_the_shares(client, world):
    _split(world)
    sign_in(client, "admin_a")
    post(client, f"/teams/groups/{world.group_a1.id}/team", {"team_id": world.team_2.id})
    running = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.residential_group_id == world.group_a1.id, Assignment.current_clause(local_today())
        )
    ).all()
    assert [(a.survey_team_id, a.first_position, a.last_position) for a in running] == [(world.team_2.id, None, None)]
    assert world.group_a1.id not in queries.split_groups(world.ward_a.id, local_today())


def test_auto_assign_splits_when_whole_groups_cannot_balance(client, world):
    """TDP01 (120) and TDP02 (80) for two teams: whole groups give 1.5x; a split gives 100 and 100."""
    sign_in(client, "admin_a")
    post(client, "/teams/assign")
    shares = queries.split_groups(world.ward_a.id, local_today())
    assert [(s["team_id"], s["first"], s["last"]) for s in shares[world.group_a1.id]] == [
        (world.team_1.id, 1, 100),
        (world.team_2.id, 101, 120),
    ]
    rows = {r.SurveyTeam.id: r.expected for r in queries.team_rows(world.admin_a, world.ward_a.id, local_today())}
    assert rows == {world.team_1.id: 100, world.team_2.id: 100}
    assert audit("team.auto_assigned")[-1].detail["split_groups"] == 1
    post(client, "/teams/assign")  # again: nothing changes
    assert audit("team.auto_assigned")[-1].detail["moved"] == 0


def test_a_team_members_dashboard_counts_its_share_of_a_split_group(app, world):
    from survey_app.dashboard.queries import remaining_households, totals

    listed = _split(world)
    listed[0].status = HouseholdStatus.DONE
    db.session.commit()
    leader = db.session.execute(sa.select(User).where(User.username == "leader_1")).scalar_one()
    rows = group_coverage(leader, world.ward_a.id)
    assert [(g["code"], g["expected"], g["listed"], g["done"], g["remaining"]) for g in rows] == [("TDP01", 3, 4, 1, 3)]
    assert remaining_households(leader, world.ward_a.id) == totals(rows)["remaining"] == 3
