package io.llmq.api.tenant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A tenant's new webhook secret, answered once when the admin rotates it. */
@Schema(name = "WebhookSecret", description = "The tenant's new webhook secret.")
public record WebhookSecretResponse(
    @Schema(description = "whsec_<base64 of 32 random bytes>.") String webhookSecret) {}
