package io.llmq.common.messaging;

import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A Redis pub/sub subscription that keeps standing: when it fails or ends (Redis restarted, the
 * connection dropped), it subscribes again a second later and then runs {@code onResumed}, so its
 * owner can catch up on what was published while it was down. Each message goes to {@code
 * onMessage} on the subscriber's thread. {@link #close} ends it for good.
 */
public final class StandingSubscription {

  private static final Duration RESUBSCRIBE_DELAY = Duration.ofSeconds(1);

  private final ReactiveRedisDataSource redis;
  private final String channel;
  private final Consumer<String> onMessage;
  private final Runnable onResumed;
  private volatile Cancellable current;
  private volatile boolean closed;

  private StandingSubscription(
      ReactiveRedisDataSource redis,
      String channel,
      Consumer<String> onMessage,
      Runnable onResumed) {
    this.redis = redis;
    this.channel = channel;
    this.onMessage = onMessage;
    this.onResumed = onResumed;
  }

  /** Subscribes to {@code channel} now, and again whenever the subscription is lost. */
  public static StandingSubscription open(
      ReactiveRedisDataSource redis, String channel, Consumer<String> onMessage) {
    return open(redis, channel, onMessage, () -> {});
  }

  /** As {@link #open(ReactiveRedisDataSource, String, Consumer)}, telling each resumption. */
  public static StandingSubscription open(
      ReactiveRedisDataSource redis,
      String channel,
      Consumer<String> onMessage,
      Runnable onResumed) {
    StandingSubscription subscription =
        new StandingSubscription(redis, channel, onMessage, onResumed);
    subscription.subscribe(false);
    return subscription;
  }

  /** Unsubscribes and stops subscribing again. */
  public void close() {
    closed = true;
    Cancellable subscribed = current;
    if (subscribed != null) {
      subscribed.cancel();
    }
  }

  private void subscribe(boolean resumed) {
    if (closed) {
      return;
    }
    current =
        redis
            .pubsub(String.class)
            .subscribe(channel)
            .subscribe()
            .with(onMessage, failure -> again(), this::again);
    if (resumed) {
      onResumed.run();
    }
  }

  private void again() {
    if (closed) {
      return;
    }
    Log.debugf("Subscription to %s ended; subscribing again", channel);
    Uni.createFrom()
        .voidItem()
        .onItem()
        .delayIt()
        .by(RESUBSCRIBE_DELAY)
        .subscribe()
        .with(ignored -> subscribe(true));
  }
}
