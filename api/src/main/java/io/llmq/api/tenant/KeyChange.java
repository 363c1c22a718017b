package io.llmq.api.tenant;

import io.llmq.api.auth.Scope;
import java.util.Set;

/**
 * The fields of a key's POST or PATCH body, checked: {@code null} keeps the name or the scopes (a
 * new key without scopes gets all of them), {@code limits} has merge-patch meaning.
 */
record KeyChange(String name, Set<Scope> scopes, LimitsPatch limits) {

  void applyTo(ApiKey key) {
    if (name != null) {
      key.name = name;
    }
    limits.applyTo(key);
  }
}
