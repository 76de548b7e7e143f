"""Every URL rule of collection."""

from flask import Blueprint

from survey_app.collection import api, duplicate_views, paper_views, phone, quality_views, review, selfsurvey, views

bp = Blueprint("collection", __name__, template_folder="templates")

bp.add_url_rule("/survey", "my_groups", views.my_groups)
bp.add_url_rule("/groups/<group_id>/households", "group_households", views.group_households)

# The offline phone app and its JSON API.
bp.add_url_rule("/phone/", "phone_app", phone.phone_app)
bp.add_url_rule("/phone/sw.js", "service_worker", phone.service_worker)
bp.add_url_rule("/api/phone/bootstrap", "phone_bootstrap", api.bootstrap)
bp.add_url_rule("/api/phone/csrf", "phone_csrf", api.csrf_token)
bp.add_url_rule("/api/phone/groups/<group_id>/households", "phone_households", api.group_households)
bp.add_url_rule("/api/submissions", "submit_one", api.submit_one, methods=["POST"])
bp.add_url_rule("/api/submissions/batch", "submit_batch", api.submit_batch, methods=["POST"])
bp.add_url_rule("/api/submissions/<submission_id>/files/<file_name>", "submit_file", api.submit_file, methods=["POST"])
bp.add_url_rule("/api/phone/sent-back", "phone_sent_back", api.sent_back)

# Review by the ward staff, and the quarantine of records that failed validation.
bp.add_url_rule("/review", "submissions", review.submissions)
bp.add_url_rule("/review/<submission_id>", "submission_detail", review.submission_detail)
bp.add_url_rule("/review/<submission_id>/files/<file_name>", "submission_file", review.submission_file)
bp.add_url_rule("/review/<submission_id>/status", "review_submission", review.review_submission, methods=["POST"])
# Corrections through the rendered form, each a new version of the answers.
bp.add_url_rule("/review/<submission_id>/correct", "correct_page", review.correct_page)
bp.add_url_rule("/review/<submission_id>/correct", "correct_submission", review.correct_submission, methods=["POST"])
bp.add_url_rule("/review/quarantine", "quarantine", review.quarantine)
bp.add_url_rule("/review/quarantine/<row_id>", "quarantined_detail", review.quarantined_detail)
bp.add_url_rule("/review/quarantine/<row_id>/accept", "accept_quarantined", review.accept_quarantined, methods=["POST"])
bp.add_url_rule("/review/quarantine/<row_id>/reject", "reject_quarantined", review.reject_quarantined, methods=["POST"])
# Data-quality flags per surveyor and record, and the ward's thresholds.
bp.add_url_rule("/review/quality", "quality_page", quality_views.quality_page)
bp.add_url_rule("/review/quality/thresholds", "set_thresholds", quality_views.set_thresholds, methods=["POST"])
# Possible duplicate households, and merging a pair.
bp.add_url_rule("/review/duplicates", "duplicate_list", duplicate_views.duplicate_list)
bp.add_url_rule("/review/duplicates/merge", "merge_households", duplicate_views.merge_households, methods=["POST"])
# Records the sync core refused (malformed, out of area, unknown form), kept so no phone holds the only copy.
bp.add_url_rule("/review/refused", "refused_list", review.refused_list)
bp.add_url_rule("/review/refused/<refused_id>", "refused_detail", review.refused_detail)
bp.add_url_rule("/review/refused/<refused_id>/retry", "retry_refused", review.retry_refused, methods=["POST"])
bp.add_url_rule("/review/refused/<refused_id>/handled", "handle_refused", review.handle_refused, methods=["POST"])

# Paper questionnaires (dead zones) keyed in afterwards through the rendered form.
bp.add_url_rule("/paper", "paper_entry", paper_views.paper_entry)
bp.add_url_rule("/paper/form", "paper_form", paper_views.paper_form)
bp.add_url_rule("/paper/submissions", "paper_submit", paper_views.paper_submit, methods=["POST"])

# The online self-survey (a group's QR poster link).
bp.add_url_rule("/self/<token>", "self_survey", selfsurvey.self_survey)
bp.add_url_rule("/api/self/<token>/form", "self_survey_form", selfsurvey.self_survey_form)
bp.add_url_rule("/api/self/<token>/submissions", "self_survey_submit", selfsurvey.self_survey_submit, methods=["POST"])
