-- Email verification and one-time tokens mailed to account holders (password reset, email
-- verification). Accounts created before this start unverified.

-- AlterTable
ALTER TABLE `User` ADD COLUMN `emailVerifiedAt` DATETIME(3) NULL;

-- CreateTable
CREATE TABLE `AccountToken` (
    `tokenHash` CHAR(64) NOT NULL,
    `userId` VARCHAR(40) NOT NULL,
    `purpose` ENUM('PASSWORD_RESET', 'EMAIL_VERIFICATION') NOT NULL,
    `expiresAt` DATETIME(3) NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `usedAt` DATETIME(3) NULL,

    INDEX `AccountToken_userId_purpose_idx`(`userId`, `purpose`),
    PRIMARY KEY (`tokenHash`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `AccountToken` ADD CONSTRAINT `AccountToken_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
