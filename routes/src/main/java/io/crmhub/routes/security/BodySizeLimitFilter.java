package io.crmhub.routes.security;

import io.crmhub.routes.api.Problem;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Caps request bodies of {@code /api} at {@code hub.api.max-body-bytes}: a declared larger
 * Content-Length gets 413 at once; a chunked body that grows past the cap fails while it is read,
 * which the API turns into 413 as well.
 */
public class BodySizeLimitFilter extends OncePerRequestFilter {

    /**
     * Request attribute (a {@code Long}) that a filter running before the security chain may set to
     * give one request another cap, e.g. a flow's file upload endpoint with its own configured limit.
     */
    public static final String LIMIT_ATTRIBUTE = BodySizeLimitFilter.class.getName() + ".limit";

    private final long maxBytes;
    private final ProblemWriter problems;

    public BodySizeLimitFilter(long maxBytes, ProblemWriter problems) {
        this.maxBytes = maxBytes;
        this.problems = problems;
    }

    /** Thrown while reading a body that exceeds the cap. */
    public static class PayloadTooLargeException extends IOException {
        public PayloadTooLargeException(long max) {
            super("The request body is larger than the limit of " + max + " bytes.");
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long maxBytes = request.getAttribute(LIMIT_ATTRIBUTE) instanceof Long own ? own : this.maxBytes;
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            problems.write(request, response, Problem.of(413, "Payload Too Large",
                    "The request body has " + declared + " bytes; the limit is " + maxBytes + " bytes."));
            return;
        }
        chain.doFilter(declared >= 0 ? request : new Limited(request, maxBytes), response);
    }

    private static final class Limited extends HttpServletRequestWrapper {
        private final long max;
        private ServletInputStream stream;

        Limited(HttpServletRequest request, long max) {
            super(request);
            this.max = max;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long count;

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0 && ++count > max) {
                            throw new PayloadTooLargeException(max);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        int n = in.read(buf, off, len);
                        if (n > 0 && (count += n) > max) {
                            throw new PayloadTooLargeException(max);
                        }
                        return n;
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }
    }
}
