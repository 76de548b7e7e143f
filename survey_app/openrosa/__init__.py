"""ODK Collect over OpenRosa 1.0: Collect devices of team members and the XML submissions they send.

Pages: a member's Collect devices (`/collect/members/<user_id>`: create one and print its card with the
Collect settings QR, revoke one). OpenRosa (`/collect/key/<token>/...`, the token of one device in the
path, as ODK Central's app users): formList, the XForm, its manifest and attachments, and HEAD/POST
submission. An XML instance becomes the same record as the web phone's JSON (survey_app/collection's
handler, through the sync core): see `instance.py` for how one maps onto the other.
"""
