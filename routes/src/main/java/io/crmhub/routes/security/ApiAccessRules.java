package io.crmhub.routes.security;

import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AuthorizeHttpRequestsConfigurer;

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
}
