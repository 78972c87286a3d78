package io.crmhub.routes.security;

import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AuthorizeHttpRequestsConfigurer;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

import java.util.Arrays;

/**
 * Which API key scope the paths of one flow need. Each channel flow declares a bean of this type in
 * its own package (e.g. {@code /api/v1/lists/**} needs {@code SCOPE_imports:write}); the API chain
 * applies all of them, then refuses anything no rule names. Scopes are granted as authorities
 * {@code SCOPE_<scope>}; a key with scope {@code admin} holds every scope.
 */
@FunctionalInterface
public interface ApiAccessRules {

    /** Adds this flow's request matchers. Paths must not overlap another flow's. */
    void apply(AuthorizeHttpRequestsConfigurer<HttpSecurity>.AuthorizationManagerRequestMatcherRegistry rules);

    /** Matchers of these paths (Spring's path patterns, within the application), whatever the method. */
    static RequestMatcher[] paths(String... patterns) {
        return paths(null, patterns);
    }

    /**
     * Matchers of these paths for one method (any method if null). Plain path matchers on purpose: given
     * only strings, Spring Security decides on every request, for every pattern it tries, whether the
     * DispatcherServlet or another servlet (Hawtio registers several) serves it — a {@code Class.forName}
     * of the servlet's class each time, seen in a profile of the clickstream intake. Every /api path is
     * served by the DispatcherServlet (Spring MVC and Camel's platform-http alike).
     */
    static RequestMatcher[] paths(HttpMethod method, String... patterns) {
        PathPatternRequestMatcher.Builder builder = PathPatternRequestMatcher.withDefaults();
        return Arrays.stream(patterns)
                .map(p -> method == null ? builder.matcher(p) : builder.matcher(method, p))
                .toArray(RequestMatcher[]::new);
    }
}
