package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.Scope;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.guardrails.ClassifierModels;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.common.webhook.WebhookTargets;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** Turns the admin's tenant and key bodies into changes, or a 400 that names the field. */
@ApplicationScoped
class AdminRequests {

  private static final String ALERT_URL = "alert_webhook_url";
  private static final Set<String> TENANT_FIELDS = Set.of("name", "limits", "policies", ALERT_URL);
  private static final Set<String> NEW_KEY_FIELDS = Set.of("name", "scopes", "limits");
  private static final Set<String> KEY_PATCH_FIELDS = Set.of("name", "limits");
  private static final int MAX_NAME = 200;
  private static final int MAX_URL = 2048;

  private final WebhookTargets targets;
  private final Function<String, Optional<String>> classifierRefusal;

  AdminRequests(WebhookTargets targets, ModelCatalog models, ProvidersConfig providers) {
    this.targets = targets;
    this.classifierRefusal = model -> ClassifierModels.refusal(model, models, providers);
  }

  TenantChange newTenant(JsonNode body) {
    Fields.object(body, "");
    Fields.onlyKnown(body, "", TENANT_FIELDS);
    String name = Fields.text(body, "", "name", MAX_NAME, true);
    return new TenantChange(
        name,
        LimitsPatch.ofTenant(body),
        PoliciesPatch.of(body, classifierRefusal),
        true,
        alertUrl(body));
  }

  TenantChange tenantPatch(JsonNode body) {
    Fields.object(body, "");
    Fields.onlyKnown(body, "", TENANT_FIELDS);
    return new TenantChange(
        renamed(body),
        LimitsPatch.ofTenant(body),
        PoliciesPatch.of(body, classifierRefusal),
        body.has(ALERT_URL),
        alertUrl(body));
  }

  KeyChange newKey(JsonNode body) {
    Fields.object(body, "");
    Fields.onlyKnown(body, "", NEW_KEY_FIELDS);
    String name = Fields.text(body, "", "name", MAX_NAME, true);
    return new KeyChange(name, scopes(body.get("scopes")), LimitsPatch.ofKey(body));
  }

  KeyChange keyPatch(JsonNode body) {
    Fields.object(body, "");
    Fields.onlyKnown(body, "", KEY_PATCH_FIELDS);
    return new KeyChange(renamed(body), null, LimitsPatch.ofKey(body));
  }

  /**
   * Resolves the change's {@code alert_webhook_url} and refuses it (400) when it points to a
   * private, loopback, link-local or metadata address: budget alerts are webhooks, under the same
   * SSRF guard as a job's (SPEC §2 Webhooks), and the worker checks again before each send.
   */
  Uni<TenantChange> checkTarget(TenantChange change) {
    if (change.alertWebhookUrl() == null) {
      return Uni.createFrom().item(change);
    }
    return targets
        .check(change.alertWebhookUrl())
        .replaceWith(change)
        .onFailure(WebhookTargets.Refused.class)
        .transform(refused -> refusal((WebhookTargets.Refused) refused));
  }

  /** A PATCH's new name, or {@code null} to keep it; a tenant or key always has a name. */
  private static String renamed(JsonNode body) {
    if (body.has("name") && body.get("name").isNull()) {
      throw ProblemException.invalid("'name' cannot be removed.");
    }
    String name = Fields.text(body, "", "name", MAX_NAME, false);
    if (name != null && name.isBlank()) {
      throw ProblemException.invalid("'name' must not be empty.");
    }
    return name;
  }

  /** The URL's form (absolute {@code https}, a host, no credentials); DNS comes later. */
  private String alertUrl(JsonNode body) {
    String url = Fields.text(body, "", ALERT_URL, MAX_URL, false);
    if (url == null) {
      return null;
    }
    try {
      return targets.parse(url).toString();
    } catch (WebhookTargets.Refused refused) {
      throw refusal(refused);
    }
  }

  private static ProblemException refusal(WebhookTargets.Refused refused) {
    return ProblemException.invalid("'" + ALERT_URL + "' " + refused.getMessage() + ".");
  }

  private static Set<Scope> scopes(JsonNode node) {
    if (node == null || node.isNull()) {
      return EnumSet.allOf(Scope.class);
    }
    if (!node.isArray() || node.isEmpty()) {
      throw ProblemException.invalid("'scopes' must be a non-empty array of scope names.");
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (JsonNode element : node) {
      Scope scope = element.isTextual() ? Scope.fromWire(element.textValue()).orElse(null) : null;
      if (scope == null) {
        throw ProblemException.invalid(
            "'scopes' may hold only jobs:write, jobs:read and usage:read.");
      }
      scopes.add(scope);
    }
    return scopes;
  }
}
