// Runs the notification service as its own process (production layout): SMTP_URL names the
// mail server; without it messages go to NOTIFICATIONS_DIR, or to the log.
import { createLogger, loadConfig, openPlatform, runUntilSignal } from "#kernel";
import { startNotificationService } from "./notification-service.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "notifications" });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const notifications = await startNotificationService(platform);
runUntilSignal(logger, [notifications.close, platform.close]);
