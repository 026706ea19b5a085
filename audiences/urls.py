from django.urls import path

from .views import exclusions, imports, recipients, segments, suppressions, unsubscribe

app_name = "audiences"
urlpatterns = [
    path("recipients/", recipients.recipients, name="recipients"),
    path("recipients/<int:recipient_id>/", recipients.recipient, name="recipient"),
    path("recipients/<int:recipient_id>/consents/", recipients.consent_add, name="consent_add"),
    path("consents/<int:consent_id>/revoke/", recipients.consent_revoke_view, name="consent_revoke"),
    path("imports/", imports.imports, name="imports"),
    path("imports/<int:import_id>/", imports.import_detail, name="import"),
    path("imports/<int:import_id>/status/", imports.import_status, name="import_status"),
    path("imports/<int:import_id>/cancel/", imports.import_cancel_view, name="import_cancel"),
    path("imports/<int:import_id>/errors.csv", imports.import_errors, name="import_errors"),
    path("segments/", segments.segments, name="segments"),
    path("segments/new/", segments.segment_edit, name="segment_new"),
    path("segments/preview/", segments.segment_preview_view, name="segment_preview"),
    path("segments/<int:segment_id>/", segments.segment_edit, name="segment"),
    path("segments/<int:segment_id>/delete/", segments.segment_delete_view, name="segment_delete"),
    path("suppressions/", suppressions.suppressions, name="suppressions"),
    path("suppressions/bulk/", suppressions.suppression_bulk, name="suppression_bulk"),
    path("suppressions/export.csv", suppressions.suppression_export, name="suppression_export"),
    path("suppressions/<int:suppression_id>/delete/", suppressions.suppression_delete, name="suppression_delete"),
    path("exclusions/", exclusions.exclusion_lists, name="exclusions"),
    path("exclusions/<int:list_id>/", exclusions.exclusion_list, name="exclusion"),
    path("exclusions/<int:list_id>/entries/<int:entry_id>/delete/", exclusions.exclusion_entry_delete,
         name="exclusion_entry_delete"),
    path("u/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
