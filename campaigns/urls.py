from django.urls import path

from . import views_monitor
from .views import approval, campaigns, templates

app_name = "campaigns"
urlpatterns = [
    path("", campaigns.campaign_list, name="list"),
    path("new/", campaigns.campaign_new, name="new"),
    path("queue/", approval.queue, name="queue"),
    path("templates/", templates.template_list, name="templates"),
    path("templates/new/", templates.template_new, name="template_new"),
    path("templates/<int:template_id>/", templates.template_detail, name="template_detail"),
    path("<int:campaign_id>/", campaigns.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", campaigns.campaign_edit, name="edit"),
    path("<int:campaign_id>/submit/", campaigns.campaign_submit_view, name="submit"),
    path("<int:campaign_id>/test-send/", campaigns.campaign_test_send_view, name="test_send"),
    path("<int:campaign_id>/preflight/", campaigns.campaign_preflight_view, name="preflight"),
    path("<int:campaign_id>/cancel/", campaigns.campaign_cancel_view, name="cancel"),
    path("<int:campaign_id>/pause/", campaigns.campaign_pause_view, name="pause"),
    path("<int:campaign_id>/resume/", campaigns.campaign_resume_view, name="resume"),
    path("<int:campaign_id>/release/", campaigns.campaign_release_view, name="release"),
    path("<int:campaign_id>/missing/<str:field>/", campaigns.missing_field, name="missing_field"),
    path("<int:campaign_id>/review/", approval.review, name="review"),
    path("<int:campaign_id>/approve/", approval.approve, name="approve"),
    path("<int:campaign_id>/reject/", approval.reject, name="reject"),
    # The monitor page of a sending campaign (views_monitor, the delivery side).
    path("<int:campaign_id>/monitor/", views_monitor.monitor, name="monitor"),
    path("<int:campaign_id>/monitor.json", views_monitor.monitor_json, name="monitor_json"),
    path("<int:campaign_id>/monitor/pause/", views_monitor.monitor_pause, name="monitor_pause"),
    path("<int:campaign_id>/monitor/resume/", views_monitor.monitor_resume, name="monitor_resume"),
    path("<int:campaign_id>/monitor/cancel/", views_monitor.monitor_cancel, name="monitor_cancel"),
]
