package io.llmq.common.lifecycle;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import sun.misc.Signal;

/**
 * The entry point of the api and the worker. SIGTERM is how a platform asks a process to stop; the
 * JVM's own handling of it runs the shutdown hooks and then exits with 143 (128 + 15), which reads
 * as a failure to a supervisor. Here SIGTERM (and SIGINT, Ctrl-C) starts Quarkus' ordinary stop
 * instead: the same graceful shutdown, then exit code 0.
 */
@QuarkusMain
public final class LlmqMain {

  private LlmqMain() {}

  public static void main(String... args) {
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> Quarkus.asyncExit(0));
    }
    Quarkus.run(args);
  }
}
