// Runs the notification service as its own process (production layout): SMTP_URL names the
// mail server; without it messages go to NOTIFICATIONS_DIR, or to the log.
import { openPlatform, runService, startHealthServer } from "#kernel";
import { startNotificationService } from "./notification-service.js";

await runService("notifications", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  const notifications = await startNotificationService(platform);
  // No HTTP of its own otherwise: this is what the orchestrator probes and Prometheus scrapes.
  const health = await startHealthServer({ name: "notifications", port: config.notifications.port, host: config.host });
  return [health.close, notifications.close, platform.close];
});
