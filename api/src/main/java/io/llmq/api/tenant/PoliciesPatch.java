package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.guardrails.Policy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code policies} object of a tenant request (SPEC §2 Auth), read with JSON merge-patch
 * meaning like {@link LimitsPatch}: a present field sets the policy, {@code null} puts it back to
 * its default ({@code off} for the screens, {@code on} for fallbacks, none for {@code
 * injection_model}), an absent one leaves it; {@code "policies": null} puts every policy back to
 * its default. A bad value is a 400 naming the field and its allowed values, before anything is
 * written; an {@code injection_model} must be a configured model that costs nothing ({@link
 * io.llmq.common.guardrails.ClassifierModels}).
 */
final class PoliciesPatch {

  static final String MODERATION = "moderation";
  static final String INJECTION = "injection";
  static final String FALLBACKS = "fallbacks";
  static final String INJECTION_MODEL = "injection_model";

  private static final String PATH = "policies";
  private static final Set<String> FIELDS = Set.of(MODERATION, INJECTION, FALLBACKS);
  private static final Set<String> KNOWN =
      Set.of(MODERATION, INJECTION, FALLBACKS, INJECTION_MODEL);
  private static final List<String> SCREEN_VALUES = List.of("off", "flag", "block");
  private static final List<String> FALLBACK_VALUES = List.of("on", "off");
  private static final Map<String, String> DEFAULTS =
      Map.of(MODERATION, Policy.OFF.wire(), INJECTION, Policy.OFF.wire(), FALLBACKS, "on");

  private static final PoliciesPatch NONE = new PoliciesPatch(Map.of(), false, false, null);

  private final Map<String, String> values;
  private final boolean resetsAll;
  private final boolean setsInjectionModel;
  private final String injectionModel;

  private PoliciesPatch(
      Map<String, String> values,
      boolean resetsAll,
      boolean setsInjectionModel,
      String injectionModel) {
    this.values = values;
    this.resetsAll = resetsAll;
    this.setsInjectionModel = setsInjectionModel;
    this.injectionModel = injectionModel;
  }

  /**
   * Reads the body's {@code policies}; {@code classifierRefusal} says why a model cannot be an
   * {@code injection_model} (empty when it can).
   */
  static PoliciesPatch of(JsonNode body, Function<String, Optional<String>> classifierRefusal) {
    if (!body.has(PATH)) {
      return NONE;
    }
    JsonNode policies = body.get(PATH);
    if (policies.isNull()) {
      return new PoliciesPatch(Map.of(), true, true, null);
    }
    Fields.object(policies, PATH);
    Fields.onlyKnown(policies, PATH, KNOWN);
    Map<String, String> values = new HashMap<>();
    for (String field : FIELDS) {
      if (policies.has(field)) {
        values.put(field, value(policies.get(field), field));
      }
    }
    boolean setsModel = policies.has(INJECTION_MODEL);
    String model = setsModel ? model(policies.get(INJECTION_MODEL), classifierRefusal) : null;
    return new PoliciesPatch(values, false, setsModel, model);
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

  private static String model(JsonNode node, Function<String, Optional<String>> classifierRefusal) {
    if (node.isNull()) {
      return null;
    }
    String field = "'" + Fields.join(PATH, INJECTION_MODEL) + "'";
    if (!node.isTextual()) {
      throw ProblemException.invalid(field + " must be a model name or null.");
    }
    String model = node.textValue();
    Optional<String> refusal = classifierRefusal.apply(model);
    if (refusal.isPresent()) {
      throw ProblemException.invalid(field + " '" + printable(model) + "' " + refusal.get() + ".");
    }
    return model;
  }

  /** The name as the admin sent it, cut short and without control characters, for a message. */
  private static String printable(String model) {
    String clean = model.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 100 ? clean.substring(0, 100) + "…" : clean;
  }

  void applyTo(Tenant tenant) {
    tenant.moderation = next(MODERATION, tenant.moderation);
    tenant.injection = next(INJECTION, tenant.injection);
    tenant.fallbacks = next(FALLBACKS, tenant.fallbacks);
    if (setsInjectionModel) {
      tenant.injectionModel = injectionModel;
    }
  }

  private String next(String field, String current) {
    if (resetsAll) {
      return DEFAULTS.get(field);
    }
    return values.getOrDefault(field, current);
  }
}
