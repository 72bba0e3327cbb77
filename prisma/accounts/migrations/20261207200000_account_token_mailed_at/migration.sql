-- When a one-time token's mail was handed over. A request repeated within the repeat window
-- mails nothing while the link it repeats is live; a process that stored a link and stopped
-- before handing its mail over left a link nobody received holding back the next one for the
-- whole window. Tokens stored before the column existed read as never mailed: at worst a
-- request repeated within a minute of the deploy mails a second link, which is harmless.

-- AlterTable
ALTER TABLE `AccountToken` ADD COLUMN `mailedAt` DATETIME(3) NULL;
