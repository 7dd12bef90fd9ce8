<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// What Contacts adds to the DAV tree: its collections and plugins.
final class Contacts
{
    /** @return list<DAV\INode> */
    public static function collections(mixed ...$context): array
    {
        return [];
    }

    /** @return list<DAV\ServerPlugin> */
    public static function plugins(mixed ...$context): array
    {
        return [];
    }
}
