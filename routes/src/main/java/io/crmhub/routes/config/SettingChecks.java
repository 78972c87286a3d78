package io.crmhub.routes.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks of a flow's settings at startup: each problem names the property, the value and what it may be, and all of
 * a flow's problems are reported together ({@link #verify()}), so a deployer fixes them in one go instead of meeting a
 * value that is quietly raised to 1, a timer that fires once, or a folder that is a file an hour after the start.
 */
public final class SettingChecks {

    private final List<String> problems = new ArrayList<>();

    public SettingChecks positive(String property, long value) {
        if (value <= 0) {
            problems.add(property + " must be at least 1, is " + value);
        }
        return this;
    }

    public SettingChecks positive(String property, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            problems.add(property + " must be a positive duration (e.g. 30s, 5m), is " + value);
        }
        return this;
    }

    public SettingChecks notNegative(String property, Duration value) {
        if (value == null || value.isNegative()) {
            problems.add(property + " must not be negative, is " + value);
        }
        return this;
    }

    public SettingChecks atLeast(String property, Duration value, Duration min, String why) {
        if (value == null || value.compareTo(min) < 0) {
            problems.add(property + " must be at least " + human(min) + " (" + why + "), is " + value
                    + (value != null && value.toMillis() < 1000 ? " (a number without a unit is milliseconds)" : ""));
        }
        return this;
    }

    public SettingChecks notBlank(String property, String value) {
        if (value == null || value.isBlank()) {
            problems.add(property + " must not be empty");
        }
        return this;
    }

    /** A folder the flow writes to or reads from: created when missing; must then be a writable directory. */
    public SettingChecks folder(String property, String value) {
        if (value == null || value.isBlank()) {
            problems.add(property + " must not be empty");
            return this;
        }
        Path p = Path.of(value);
        try {
            Files.createDirectories(p);
        } catch (IOException | RuntimeException e) {
            problems.add(property + " must be a folder the hub can create and write to, is '" + value + "' ("
                    + (Files.exists(p) && !Files.isDirectory(p) ? "a file" : e.toString()) + ")");
            return this;
        }
        if (!Files.isWritable(p)) {
            problems.add(property + " must be a folder the hub can write to, is '" + p.toAbsolutePath() + "' (not writable)");
        }
        return this;
    }

    /** A folder that must exist already (what the hub reads, e.g. configuration). */
    public SettingChecks existingFolder(String property, String value) {
        if (value == null || value.isBlank()) {
            problems.add(property + " must not be empty");
        } else if (!Files.isDirectory(Path.of(value))) {
            problems.add(property + " must be an existing folder, is '" + Path.of(value).toAbsolutePath() + "' ("
                    + (Files.exists(Path.of(value)) ? "a file" : "not found") + ")");
        }
        return this;
    }

    /** A file that must exist already (what the hub reads, e.g. a mapping table). */
    public SettingChecks existingFile(String property, String value) {
        if (value == null || value.isBlank()) {
            problems.add(property + " must not be empty");
        } else if (!Files.isRegularFile(Path.of(value))) {
            problems.add(property + " must be an existing file, is '" + Path.of(value).toAbsolutePath() + "'");
        }
        return this;
    }

    public SettingChecks check(boolean ok, String problem) {
        if (!ok) {
            problems.add(problem);
        }
        return this;
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Throws when any check failed, listing every problem. */
    public void verify() {
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
    }

    /** Settings that stop the start; {@link Analyzer} prints them as Spring Boot's failure report, one per line. */
    public static final class InvalidSettingsException extends IllegalStateException {
        private final List<String> problems;

        InvalidSettingsException(List<String> problems) {
            super("invalid settings: " + String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /** Registered in META-INF/spring.factories. */
    public static final class Analyzer
            extends org.springframework.boot.diagnostics.AbstractFailureAnalyzer<InvalidSettingsException> {
        @Override
        protected org.springframework.boot.diagnostics.FailureAnalysis analyze(Throwable root, InvalidSettingsException e) {
            return new org.springframework.boot.diagnostics.FailureAnalysis("Invalid settings:\n  - "
                    + String.join("\n  - ", e.problems()), "Correct them (config/application.yml, a profile's file,"
                    + " the environment or the command line) and start again. docs/configuration.md lists the settings.",
                    e);
        }
    }

    private static String human(Duration d) {
        if (d.toSeconds() % 3600 == 0 && d.toSeconds() > 0) {
            return d.toHours() + "h";
        }
        if (d.toSeconds() % 60 == 0 && d.toSeconds() > 0) {
            return d.toMinutes() + "m";
        }
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
