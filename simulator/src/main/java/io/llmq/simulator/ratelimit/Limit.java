package io.llmq.simulator.ratelimit;

/** The two limits of an API key, named as OpenAI names them in errors. */
public enum Limit {
  REQUESTS("requests", "requests per min (RPM)"),
  TOKENS("tokens", "tokens per min (TPM)");

  private final String type;
  private final String description;

  Limit(String type, String description) {
    this.type = type;
    this.description = description;
  }

  /** The error's {@code type} in OpenAI's body: {@code requests} or {@code tokens}. */
  public String type() {
    return type;
  }

  public String description() {
    return description;
  }
}
