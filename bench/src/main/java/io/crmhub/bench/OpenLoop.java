package io.crmhub.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop HTTP/1.1 POST load over plain keep-alive sockets: request {@code k} is due at
 * {@code k / rate} seconds, whatever the answers before it take, and its latency is taken from when it
 * was due (a request that had to wait for a free connection counts its wait: no coordinated
 * omission). It costs far less CPU per request than the JDK HttpClient, so on 2 cores the generator
 * does not add a delay of its own at a few thousand requests per second.
 */
final class OpenLoop {

    private OpenLoop() {
    }

    /** Latencies in ns (sorted; here of the requests answered 2xx), the seconds taken and the failed requests. */
    record Result(long[] latenciesNanos, double seconds, long errors) {
        double p(double pct) {
            if (latenciesNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(latenciesNanos.length - 1, Math.ceil(pct / 100.0 * latenciesNanos.length) - 1);
            return latenciesNanos[Math.max(0, i)] / 1e6;
        }

        double max() {
            return latenciesNanos.length == 0 ? Double.NaN : latenciesNanos[latenciesNanos.length - 1] / 1e6;
        }

        double rate() {
            return latenciesNanos.length / seconds;
        }
    }

    /**
     * POSTs {@code bodies} (round robin) to {@code http://host:port/path} at {@code rate} per second for
     * {@code seconds}, over at most {@code connections} connections.
     */
    static Result post(String host, int port, String path, Map<String, String> headers, List<byte[]> bodies, double rate,
                       int seconds, int connections) throws InterruptedException {
        int n = (int) Math.max(1, Math.round(rate * seconds));
        List<byte[]> heads = new ArrayList<>(bodies.size());
        for (byte[] b : bodies) {
            StringBuilder h = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append(':')
                    .append(port).append("\r\nContent-Length: ").append(b.length).append("\r\n");
            headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
            heads.add(h.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        }
        long[] lat = new long[n];
        Arrays.fill(lat, -1);
        AtomicLong next = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long t0 = System.nanoTime() + 20_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < Math.max(1, connections); w++) {
            Thread t = new Thread(() -> {
                Connection c = null;
                for (long k = next.getAndIncrement(); k < n; k = next.getAndIncrement()) {
                    long due = t0 + (long) (k * 1e9 / rate);
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    int i = (int) (k % bodies.size());
                    try {
                        if (c == null) {
                            c = new Connection(host, port);
                        }
                        int status = c.post(heads.get(i), bodies.get(i));
                        if (status / 100 == 2) {
                            lat[(int) k] = System.nanoTime() - due;
                        } else {
                            errors.incrementAndGet();
                        }
                        if (c.closing) {
                            c.close();
                            c = null;
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();
                        if (c != null) {
                            c.close();
                        }
                        c = null;
                    }
                }
                if (c != null) {
                    c.close();
                }
            }, "open-loop-" + w);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long[] ok = Arrays.stream(lat).filter(l -> l >= 0).sorted().toArray();
        return new Result(ok, secs, errors.get());
    }

    /** One keep-alive connection; reads responses with a Content-Length or chunked body. */
    private static final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        boolean closing;

        Connection(String host, int port) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(60_000);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }

        int post(byte[] head, byte[] body) throws IOException {
            out.write(head);
            out.write(body);
            out.flush();
            String status = line();
            if (!status.startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP response: " + status);
            }
            int code = Integer.parseInt(status.substring(9, 12));
            long length = 0;
            boolean chunked = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(h.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    closing = true;
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                     size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
                    // trailers: none expected
                }
            } else {
                skip(length);
            }
            return code;
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(64);
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed by the server");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.US_ASCII);
        }

        private void skip(long n) throws IOException {
            for (long left = n; left > 0; ) {
                long s = in.skip(left);
                if (s <= 0) {
                    if (in.read() < 0) {
                        throw new IOException("connection closed by the server");
                    }
                    s = 1;
                }
                left -= s;
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
