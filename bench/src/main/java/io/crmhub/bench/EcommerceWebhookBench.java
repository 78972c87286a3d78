package io.crmhub.bench;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.mappings.ecommerce.ShopifyHmac;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scenario "ecommerce": N generated Shopify orders/create webhooks with valid HMACs, sent by C
 * concurrent clients to a running hub ({@code POST /api/v1/webhooks/shopify}): acknowledgement
 * latency p50/p99 and the end-to-end rate of orders into profiles (rows in {@code ecom_order}, each
 * one resolved, on the timeline, with recomputed purchase figures) — against the same load on a
 * bare endpoint (JDK HttpServer in this process that reads the body and answers 200), in the same run.
 * <p>
 * <p>
 * Closed loop ({@code clients} requests in flight, each client sends the next as soon as it has its
 * answer) measures the latency at saturation. After the hub has processed those, an open loop sends
 * more webhooks at a fixed rate — half the hub's closed-loop rate unless given — first to the bare
 * endpoint, then to the hub; latency is taken from the time each request was due, so a stalled
 * server is not hidden by requests that were sent late.
 * <p>
 * Modes: {@code prepare jdbcUrl user password schema} drops the schema;
 * {@code run hubUrl jdbcUrl user password schema shop secret [webhooks] [clients] [customers] [maxWaitSeconds]
 * [openLoopSeconds=30] [openLoopRate=half the hub's closed-loop rate; 0 = no open loop]}.
 */
public final class EcommerceWebhookBench {

    public static void main(String[] args) {
        int status = 0;
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace(); // (an exit in a finally block would swallow it and report success)
            status = 1;
        }
        System.exit(status); // HTTP client and server executors are not daemon threads
    }

    static void run(String[] args) throws Exception {
        // without it the JDK server's separate header and body writes meet Nagle + delayed ACK: ~40 ms per request
        System.setProperty("sun.net.httpserver.nodelay", "true");
        if (args[0].equals("prepare")) {
            try (HikariDataSource ds = ds(args[1], args[2], args[3], null); Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + args[4] + " CASCADE");
            }
            return;
        }
        String hub = args[1];
        String schema = args[5];
        String shop = args[6];
        String secret = args[7];
        int n = args.length > 8 ? Integer.parseInt(args[8]) : 100_000;
        int clients = args.length > 9 ? Integer.parseInt(args[9]) : 16;
        int customers = args.length > 10 ? Integer.parseInt(args[10]) : n / 2;
        int maxWait = args.length > 11 ? Integer.parseInt(args[11]) : 3600;
        int openSeconds = args.length > 12 ? Integer.parseInt(args[12]) : 30;
        double openRate = args.length > 13 ? Double.parseDouble(args[13]) : -1;
        int warmup = Math.min(2000, Math.max(100, n / 50));

        System.out.printf("scenario ecommerce: %,d Shopify orders/create webhooks (+%,d warm-up) for %,d customers, %d concurrent clients%n",
                n, warmup, customers, clients);
        List<byte[]> bodies = generate(0, n + warmup, customers, 7);
        List<String> sigs = new ArrayList<>(bodies.size());
        for (byte[] b : bodies) {
            sigs.add(ShopifyHmac.sign(b, secret));
        }

        // baseline: a bare endpoint on the same machine, same bodies, same clients
        HttpServer bare = bareServer(clients);
        String bareUrl = "http://127.0.0.1:" + bare.getAddress().getPort() + "/webhook";
        send(bareUrl, bodies.subList(0, warmup), sigs.subList(0, warmup), shop, clients, 0);
        OpenLoop.Result base = send(bareUrl, bodies.subList(warmup, bodies.size()), sigs.subList(warmup, sigs.size()), shop, clients, warmup);
        bare.stop(0);
        ((ExecutorService) bare.getExecutor()).shutdown();
        System.out.printf("baseline  bare endpoint   : %,8.0f req/s, ack p50 %6.2f ms, p99 %6.2f ms, max %7.2f ms (%d errors)%n",
                base.rate(), base.p(50), base.p(99), base.max(), base.errors());

        String hubUrl = hub + "/api/v1/webhooks/shopify";
        try (HikariDataSource ds = ds(args[2], args[3], args[4], schema)) {
            send(hubUrl, bodies.subList(0, warmup), sigs.subList(0, warmup), shop, clients, 0);
            long warmOrders = await(ds, warmup, Instant.now().plusSeconds(600));
            Instant start = Instant.now();
            OpenLoop.Result h = send(hubUrl, bodies.subList(warmup, bodies.size()), sigs.subList(warmup, sigs.size()), shop, clients, warmup);
            System.out.printf("hub       webhook ack     : %,8.0f req/s, ack p50 %6.2f ms, p99 %6.2f ms, max %7.2f ms (%d errors)%n",
                    h.rate(), h.p(50), h.p(99), h.max(), h.errors());
            System.out.printf("ratio     ack p99 hub/bare: %.1fx, ack p50 hub/bare: %.1fx%n", h.p(99) / base.p(99), h.p(50) / base.p(50));
            long target = warmOrders + n;
            long done = await(ds, target, start.plusSeconds(maxWait));
            double secs = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            long processed = done - warmOrders;
            System.out.printf("hub       end to end      : %,8.0f orders/s into profiles (%,d of %,d orders in %.1f s)%n",
                    processed / secs, processed, n, secs);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT (SELECT COUNT(*) FROM profile WHERE status = 'ACTIVE'),"
                         + " (SELECT COUNT(*) FROM interaction WHERE type = 'ecommerce.purchase'),"
                         + " (SELECT COUNT(*) FROM quarantine)")) {
                rs.next();
                System.out.printf("          profiles %,d, purchase interactions %,d, quarantined %,d%n", rs.getLong(1), rs.getLong(2),
                        rs.getLong(3));
            }

            // open loop at a fixed rate: same fresh webhooks to the bare endpoint, then to the hub
            double rate = openRate >= 0 ? openRate : h.rate() / 2;
            if (rate > 0 && openSeconds > 0) {
                int count = (int) Math.ceil(rate * openSeconds);
                List<byte[]> more = generate(n + warmup, count, customers, 11);
                List<String> moreSigs = new ArrayList<>(count);
                for (byte[] b : more) {
                    moreSigs.add(ShopifyHmac.sign(b, secret));
                }
                HttpServer bare2 = bareServer(clients);
                OpenLoop.Result ob = openLoop("http://127.0.0.1:" + bare2.getAddress().getPort() + "/webhook", more, moreSigs, shop, rate,
                        n + warmup);
                bare2.stop(0);
                ((ExecutorService) bare2.getExecutor()).shutdown();
                OpenLoop.Result oh = openLoop(hubUrl, more, moreSigs, shop, rate, n + warmup);
                System.out.printf("open loop %,.0f req/s for %d s (%s):%n", rate, openSeconds,
                        openRate >= 0 ? "given" : "half the hub's closed-loop rate");
                System.out.printf("baseline  bare endpoint   : %,8.0f req/s, ack p50 %6.2f ms, p99 %6.2f ms, max %7.2f ms (%d errors)%n",
                        ob.rate(), ob.p(50), ob.p(99), ob.max(), ob.errors());
                System.out.printf("hub       webhook ack     : %,8.0f req/s, ack p50 %6.2f ms, p99 %6.2f ms, max %7.2f ms (%d errors)%n",
                        oh.rate(), oh.p(50), oh.p(99), oh.max(), oh.errors());
                System.out.printf("ratio     ack p99 hub/bare: %.1fx, ack p50 hub/bare: %.1fx%n", oh.p(99) / ob.p(99), oh.p(50) / ob.p(50));
            }
        }
    }

    static HttpServer bareServer(int clients) throws Exception {
        HttpServer bare = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        bare.createContext("/webhook", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            byte[] ok = "{\"status\":\"accepted\"}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, ok.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(ok);
            }
        });
        bare.setExecutor(Executors.newFixedThreadPool(Math.max(8, clients)));
        bare.start();
        return bare;
    }

    /**
     * Requests started at {@code rate} per second whatever the answers take (open loop); each latency
     * is taken from the time its request was due.
     */
    static OpenLoop.Result openLoop(String url, List<byte[]> bodies, List<String> sigs, String shop, double rate, int idOffset) throws Exception {
        ExecutorService exec = Executors.newCachedThreadPool();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(exec)
                .connectTimeout(Duration.ofSeconds(10)).build();
        int n = bodies.size();
        long[] lat = new long[n];
        AtomicInteger errors = new AtomicInteger();
        List<java.util.concurrent.CompletableFuture<?>> all = new ArrayList<>(n);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = t0 + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
            }
            int k = i;
            all.add(http.sendAsync(request(url, bodies.get(i), sigs.get(i), shop, idOffset + i), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((r, ex) -> {
                        if (ex != null || r.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                        lat[k] = System.nanoTime() - due;
                    }));
        }
        java.util.concurrent.CompletableFuture.allOf(all.toArray(new java.util.concurrent.CompletableFuture[0]))
                .handle((a, b) -> null).get(120, java.util.concurrent.TimeUnit.SECONDS);
        double secs = (System.nanoTime() - t0) / 1e9;
        exec.shutdown();
        Arrays.sort(lat);
        return new OpenLoop.Result(lat, secs, errors.get());
    }

    static HttpRequest request(String url, byte[] body, String sig, String shop, int id) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("X-Shopify-Topic", "orders/create")
                .header("X-Shopify-Shop-Domain", shop)
                .header("X-Shopify-Hmac-Sha256", sig)
                .header("X-Shopify-Webhook-Id", "bench-" + id)
                .header("X-Shopify-API-Version", "2025-10")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    static OpenLoop.Result send(String url, List<byte[]> bodies, List<String> sigs, String shop, int clients, int idOffset) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(clients)).connectTimeout(Duration.ofSeconds(10)).build();
        long[] lat = new long[bodies.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
                    HttpRequest req = request(url, bodies.get(i), sigs.get(i), shop, idOffset + i);
                    long s = System.nanoTime();
                    try {
                        HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    lat[i] = System.nanoTime() - s;
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        http.executor().ifPresent(e -> ((ExecutorService) e).shutdown());
        Arrays.sort(lat);
        return new OpenLoop.Result(lat, secs, errors.get());
    }

    static long await(HikariDataSource ds, long target, Instant deadline) throws Exception {
        long count = 0;
        long last = -1;
        Instant lastPrint = Instant.now();
        while (Instant.now().isBefore(deadline)) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM ecom_order")) {
                rs.next();
                count = rs.getLong(1);
            }
            if (count >= target) {
                return count;
            }
            if (Duration.between(lastPrint, Instant.now()).toSeconds() >= 30 && count != last) {
                System.out.printf("          ... %,d of %,d orders in the profiles%n", count, target);
                lastPrint = Instant.now();
                last = count;
            }
            Thread.sleep(200);
        }
        System.out.printf("          stopped waiting at %,d of %,d orders%n", count, target);
        return count;
    }

    /** Shopify-shaped orders/create payloads (compact JSON, as Shopify sends). */
    static List<byte[]> generate(int from, int count, int customers, long seed) {
        int n = from + count;
        Random rnd = new Random(seed);
        String[] categories = {"Running", "Apparel", "Outdoor", "Shoes", "Accessories", "Kids"};
        String[] currencies = {"EUR", "EUR", "EUR", "USD", "GBP"};
        Instant now = Instant.parse("2026-11-30T00:00:00Z");
        List<byte[]> out = new ArrayList<>(count);
        for (int i = from; i < n; i++) {
            int cust = rnd.nextInt(customers);
            Instant created = now.minusSeconds(rnd.nextInt(400 * 86400));
            String cur = currencies[rnd.nextInt(currencies.length)];
            int lines = 1 + rnd.nextInt(3);
            StringBuilder li = new StringBuilder();
            double total = 0;
            for (int l = 0; l < lines; l++) {
                double price = 5 + rnd.nextInt(200) + rnd.nextInt(100) / 100.0;
                int q = 1 + rnd.nextInt(2);
                total += price * q;
                String cat = categories[rnd.nextInt(categories.length)];
                li.append(l == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"id\":%d,\"product_id\":%d,\"variant_id\":%d,\"sku\":\"SKU-%d\",\"title\":\"Product %d\",\"name\":\"Product %d\","
                                + "\"quantity\":%d,\"price\":\"%.2f\",\"vendor\":\"%s\",\"gift_card\":false,\"taxable\":true}",
                        1_000_000L * i + l, 500 + rnd.nextInt(300), 9000 + l, rnd.nextInt(900), l, l, q, price, cat));
            }
            String email = "bench.customer" + cust + "@example.com";
            String body = String.format(Locale.ROOT,
                    "{\"id\":%d,\"admin_graphql_api_id\":\"gid://shopify/Order/%d\",\"name\":\"#%d\",\"order_number\":%d,"
                            + "\"email\":\"%s\",\"contact_email\":\"%s\",\"created_at\":\"%s\",\"updated_at\":\"%s\",\"processed_at\":\"%s\","
                            + "\"cancelled_at\":null,\"currency\":\"%s\",\"presentment_currency\":\"%s\",\"financial_status\":\"paid\","
                            + "\"total_price\":\"%.2f\",\"subtotal_price\":\"%.2f\",\"total_tax\":\"0.00\",\"buyer_accepts_marketing\":%s,"
                            + "\"customer\":{\"id\":%d,\"email\":\"%s\",\"first_name\":\"Customer\",\"last_name\":\"No%d\","
                            + "\"created_at\":\"%s\",\"updated_at\":\"%s\",\"email_marketing_consent\":{\"state\":\"%s\","
                            + "\"opt_in_level\":\"single_opt_in\",\"consent_updated_at\":\"%s\"}},"
                            + "\"billing_address\":{\"first_name\":\"Customer\",\"last_name\":\"No%d\",\"city\":\"Berlin\",\"zip\":\"10115\","
                            + "\"country_code\":\"DE\"},\"line_items\":[%s],\"refunds\":[]}",
                    4_000_000_000L + i, 4_000_000_000L + i, 1000 + i, 1000 + i, email, email, created, created, created, cur, cur,
                    total, total, rnd.nextBoolean(), 7_000_000_000L + cust, email, cust, created, created,
                    rnd.nextInt(4) == 0 ? "unsubscribed" : "subscribed", created, cust, li);
            out.add(body.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static HikariDataSource ds(String url, String user, String password, String schema) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(schema == null ? url : url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(2);
        return new HikariDataSource(cfg);
    }
}
