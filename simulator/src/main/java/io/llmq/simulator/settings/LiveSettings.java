package io.llmq.simulator.settings;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The settings in force: the configuration at start-up, replaced whole by {@code PUT
 * /admin/config}. Each call reads them once, so a change applies to calls that arrive after it.
 * Created at start-up, so invalid configuration stops the simulator before it serves anything.
 */
@Startup
@ApplicationScoped
public class LiveSettings {

  private final AtomicReference<Settings> current;
  private final Event<SettingsChanged> changed;

  LiveSettings(SimulatorConfig config, Event<SettingsChanged> changed) {
    this.current = new AtomicReference<>(Settings.from(config));
    this.changed = changed;
  }

  public Settings current() {
    return current.get();
  }

  public void replace(Settings next) {
    Settings before = current.getAndSet(next);
    changed.fire(new SettingsChanged(before, next));
  }
}
