-- The email key is compared exactly. The table's collation, utf8mb4_unicode_ci, ignores
-- accents and zero-width characters, so `WHERE emailKey = 'josé@example.com'` found
-- jose@example.com: each spelling of an address reached one account with a throttle budget of
-- its own, and jose@ and josé@ could not both have an account. The application already folds
-- what it means to fold (trim, NFKC, lower case) before writing the key; the column compares
-- what it is given, byte for byte.
--
-- Keys unique under unicode_ci are unique under a binary collation (it tells more apart), so
-- the unique index is rebuilt without conflicts on an existing database.

-- AlterTable
ALTER TABLE `User` MODIFY `emailKey` VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
