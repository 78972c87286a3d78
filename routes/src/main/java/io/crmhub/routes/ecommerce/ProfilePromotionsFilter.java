package io.crmhub.routes.ecommerce;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves {@code GET /api/v1/profiles/{id}/promotions}. Runs after Spring Security's filter chain (the
 * profile API's rule {@code profiles:read} applies), before the DispatcherServlet, where Camel's
 * platform-http mapping of the profile API would otherwise answer 404 for this sub-path.
 */
public class ProfilePromotionsFilter extends OncePerRequestFilter {

    private static final Pattern PATH = Pattern.compile("^/api/v1/profiles/([^/]+)/promotions/?$");

    private final EcommerceApiController api;
    private final ObjectMapper mapper;

    public ProfilePromotionsFilter(EcommerceApiController api, ObjectMapper mapper) {
        this.api = api;
        this.mapper = mapper;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        Matcher m = PATH.matcher(path);
        if (!m.matches() || !"GET".equals(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        ResponseEntity<Object> answer = api.getProfilePromotions(m.group(1));
        response.setStatus(answer.getStatusCode().value());
        MediaType type = answer.getHeaders().getContentType();
        response.setContentType((type == null ? MediaType.APPLICATION_JSON : type).toString());
        response.setCharacterEncoding("UTF-8");
        mapper.writeValue(response.getOutputStream(), answer.getBody());
    }
}
