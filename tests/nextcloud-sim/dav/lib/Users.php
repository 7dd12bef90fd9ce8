<?php
declare(strict_types=1);

namespace SimDav;

// The simulated accounts (same uids as the Node side's state.ts).
final class Users
{
    public const DISPLAY_NAMES = [
        'admin' => 'Administrator',
        'alice' => 'Alice Liddell',
        'bob' => 'Bob Builder',
        'carol' => 'Carol Danvers',
    ];

    public static function exists(string $uid): bool
    {
        return isset(self::DISPLAY_NAMES[$uid]);
    }

    public static function displayName(string $uid): string
    {
        return self::DISPLAY_NAMES[$uid] ?? $uid;
    }
}
