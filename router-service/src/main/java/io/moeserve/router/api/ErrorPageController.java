package io.moeserve.router.api;

import io.moeserve.core.api.OpenAiError;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Replaces Spring Boot's {@code /error} page (its JSON is not OpenAI's shape) for the errors that
 * never reach a controller, e.g. those raised by the servlet container or a filter. Never shows an
 * exception or stack trace.
 */
@RestController
public class ErrorPageController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    public ResponseEntity<byte[]> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i && i >= 400 ? i : 500;
        String message = switch (status) {
            case 404 -> "Not found.";
            case 413 -> "Request body is too large.";
            default -> status >= 500 ? "The server had an error while processing your request." : "Bad request.";
        };
        return ApiJson.error(new ApiException(status, OpenAiError.forStatus(status, message, null, null), 0));
    }
}
