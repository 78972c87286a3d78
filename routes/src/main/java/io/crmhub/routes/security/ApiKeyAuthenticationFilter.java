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

/** Authenticates {@code /api} requests by the {@code X-API-Key} header. */
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
}
