package io.crmhub.routes.peers;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own: a fresh cluster ({@code initdb}) in a temporary folder on a
 * free port, started, stopped and restarted with the machine's {@code pg_ctl} — so that a test can
 * take "the database" really away (immediate stop, the server processes gone) and bring it back,
 * without touching the shared server the rest of the suite uses. Runs the server as the
 * {@code postgres} user when the tests run as root (PostgreSQL refuses to run as root).
 */
public final class ScratchPostgres implements AutoCloseable {

    private final Path bin;
    private final Path dir;
    private final Path data;
    private final int port;
    private final boolean root = "root".equals(System.getProperty("user.name"));

    private ScratchPostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
    }

    /** Creates the cluster and starts it. */
    public static ScratchPostgres start() throws IOException, InterruptedException {
        ScratchPostgres pg = new ScratchPostgres(binaries(), Files.createTempDirectory("crmhub-scratch-pg"), freePort());
        if (pg.root) {
            pg.run(List.of("chown", "postgres:postgres", pg.dir.toString()), false);
        }
        pg.run(List.of(pg.bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", "--locale=C", "--no-sync"), true);
        pg.up();
        return pg;
    }

    /** The newest installed server's binaries ({@code /usr/lib/postgresql/<version>/bin}, or {@code PG_BIN}). */
    static Path binaries() throws IOException {
        String env = System.getenv("PG_BIN");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow(() -> new IOException("no PostgreSQL server binaries under /usr/lib/postgresql (set PG_BIN)"));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** JDBC URL of the {@code postgres} database, user {@code postgres}, no password. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public int port() {
        return port;
    }

    /** Starts the (stopped) server and waits until it accepts connections. */
    public void up() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1"
                        + " -c fsync=off -c full_page_writes=off -c max_connections=50", "start"), true);
    }

    /** Stops the server like a crash or a power cut: {@code pg_ctl stop -m immediate} (no checkpoint; recovery at the next start). */
    public void crash() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
        } catch (IOException stoppedAlready) {
            // nothing to stop
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void run(List<String> command, boolean asPostgres) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgres && root) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(command);
        Path out = Files.createTempFile("scratch-pg", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
            if (p.exitValue() != 0) {
                throw new IOException("exit " + p.exitValue() + ": " + String.join(" ", cmd) + "\n" + Files.readString(out));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
