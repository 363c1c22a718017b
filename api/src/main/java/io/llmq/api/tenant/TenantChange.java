package io.llmq.api.tenant;

/**
 * The fields of a tenant's POST or PATCH body, checked, with merge-patch meaning: {@code name}
 * {@code null} keeps the name, {@code alertWebhookUrl} applies only when the body had the field
 * ({@code null} then removes it).
 */
record TenantChange(
    String name,
    LimitsPatch limits,
    PoliciesPatch policies,
    boolean setsAlertWebhookUrl,
    String alertWebhookUrl) {

  void applyTo(Tenant tenant) {
    if (name != null) {
      tenant.name = name;
    }
    limits.applyTo(tenant);
    policies.applyTo(tenant);
    if (setsAlertWebhookUrl) {
      tenant.alertWebhookUrl = alertWebhookUrl;
    }
  }
}
