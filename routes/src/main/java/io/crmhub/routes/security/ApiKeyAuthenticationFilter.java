package io.crmhub.routes.security;

import io.crmhub.routes.api.Problem;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Authenticates {@code /api} requests by the {@code X-API-Key} header. The event intake
 * ({@code /api/v1/events/**}) also takes the key as Segment's SDKs send their write key: HTTP Basic with the key as
 * the user name and no password ({@code Authorization: Basic base64(key + ":")}), so an SDK whose write key is a
 * hub API key (scope events:write) and whose host is the hub sends to it directly.
 */
public class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

    public static final String HEADER = "X-API-Key";

    private final ApiKeyRegistry keys;
    private final ProblemWriter problems;

    public ApiKeyAuthenticationFilter(ApiKeyRegistry keys, ProblemWriter problems) {
        this.keys = keys;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = request.getHeader(HEADER);
        if (presented != null && !sameEverywhere(request, presented)) {
            // two keys (a proxy that added its own, a client that set one twice): neither is taken on trust
            problems.write(request, response, Problem.of(401, "Unauthorized", "The request has several " + HEADER
                    + " headers with different keys; send one."));
            return;
        }
        if (presented == null) {
            presented = writeKey(request);
        }
        if (presented != null) {
            var client = keys.authenticate(presented);
            if (client.isEmpty()) {
                problems.write(request, response, Problem.of(401, "Unauthorized", "The API key is not valid."));
                return;
            }
            var auth = new UsernamePasswordAuthenticationToken(client.get().name(), null, client.get().authorities());
            var ctx = SecurityContextHolder.createEmptyContext();
            ctx.setAuthentication(auth);
            SecurityContextHolder.setContext(ctx);
        }
        chain.doFilter(request, response);
    }

    private static boolean sameEverywhere(HttpServletRequest request, String first) {
        java.util.Enumeration<String> all = request.getHeaders(HEADER);
        while (all != null && all.hasMoreElements()) {
            if (!first.equals(all.nextElement())) {
                return false;
            }
        }
        return true;
    }

    /** The key of an SDK's {@code Authorization: Basic base64(writeKey:)} on the event intake; else null. */
    static String writeKey(HttpServletRequest request) {
        String auth = request.getHeader("Authorization");
        String uri = request.getRequestURI();
        if (auth == null || uri == null || !auth.regionMatches(true, 0, "Basic ", 0, 6)
                || !(uri.equals("/api/v1/events") || uri.startsWith("/api/v1/events/"))) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(java.util.Base64.getDecoder().decode(auth.substring(6).trim()),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";                                  // not Base64: refused as an invalid key
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? decoded : decoded.substring(0, colon);
    }
}
