package io.llmq.simulator.settings;

/** Fired after {@code PUT /admin/config} replaced the settings. */
public record SettingsChanged(Settings before, Settings after) {}
