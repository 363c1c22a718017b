package io.llmq.common.messaging;

import io.smallrye.config.ConfigMapping;

/**
 * Names of the job queue's topology. Defaults live in {@code
 * META-INF/microprofile-config.properties} of this module, because the messaging channels of both
 * apps refer to them by expression.
 */
@ConfigMapping(prefix = "llmq.queue")
public interface QueueConfig {

  /** Direct exchange jobs are published to. Default {@code llmq.jobs}. */
  String exchange();

  /** Durable quorum queue the workers consume. Default {@code llmq.jobs}. */
  String name();

  /** Routing key binding the queue to the exchange. Default {@code job}. */
  String routingKey();

  /** Exchange that receives rejected and over-delivered messages. Default {@code llmq.jobs.dlx}. */
  String deadLetterExchange();

  /** Quorum queue holding dead-lettered job messages. Default {@code llmq.jobs.dlq}. */
  String deadLetterQueue();

  /**
   * Deliveries of one message before the broker dead-letters it: the backstop for a message that
   * crashes every worker that takes it. Default {@code 20}.
   */
  int deliveryLimit();
}
