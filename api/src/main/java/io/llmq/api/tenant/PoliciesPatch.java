package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.guardrails.Policy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code policies} object of a tenant request (SPEC §2 Auth), read with JSON merge-patch
 * meaning like {@link LimitsPatch}: a present field sets the policy, {@code null} puts it back to
 * its default ({@code off} for the screens, {@code on} for fallbacks), an absent one leaves it;
 * {@code "policies": null} puts every policy back to its default. A bad value is a 400 naming the
 * field and its allowed values, before anything is written.
 */
final class PoliciesPatch {

  static final String MODERATION = "moderation";
  static final String INJECTION = "injection";
  static final String FALLBACKS = "fallbacks";

  private static final String PATH = "policies";
  private static final Set<String> FIELDS = Set.of(MODERATION, INJECTION, FALLBACKS);
  private static final List<String> SCREEN_VALUES = List.of("off", "flag", "block");
  private static final List<String> FALLBACK_VALUES = List.of("on", "off");
  private static final Map<String, String> DEFAULTS =
      Map.of(MODERATION, Policy.OFF.wire(), INJECTION, Policy.OFF.wire(), FALLBACKS, "on");

  private static final PoliciesPatch NONE = new PoliciesPatch(Map.of(), false);

  private final Map<String, String> values;
  private final boolean resetsAll;

  private PoliciesPatch(Map<String, String> values, boolean resetsAll) {
    this.values = values;
    this.resetsAll = resetsAll;
  }

  static PoliciesPatch of(JsonNode body) {
    if (!body.has(PATH)) {
      return NONE;
    }
    JsonNode policies = body.get(PATH);
    if (policies.isNull()) {
      return new PoliciesPatch(Map.of(), true);
    }
    Fields.object(policies, PATH);
    Fields.onlyKnown(policies, PATH, FIELDS);
    Map<String, String> values = new HashMap<>();
    for (String field : FIELDS) {
      if (policies.has(field)) {
        values.put(field, value(policies.get(field), field));
      }
    }
    return new PoliciesPatch(values, false);
  }

  private static String value(JsonNode node, String field) {
    if (node.isNull()) {
      return DEFAULTS.get(field);
    }
    List<String> allowed = FALLBACKS.equals(field) ? FALLBACK_VALUES : SCREEN_VALUES;
    if (!node.isTextual() || !allowed.contains(node.textValue())) {
      throw ProblemException.invalid(
          "'" + Fields.join(PATH, field) + "' must be one of " + String.join(", ", allowed) + ".");
    }
    return node.textValue();
  }

  void applyTo(Tenant tenant) {
    tenant.moderation = next(MODERATION, tenant.moderation);
    tenant.injection = next(INJECTION, tenant.injection);
    tenant.fallbacks = next(FALLBACKS, tenant.fallbacks);
  }

  private String next(String field, String current) {
    if (resetsAll) {
      return DEFAULTS.get(field);
    }
    return values.getOrDefault(field, current);
  }
}
