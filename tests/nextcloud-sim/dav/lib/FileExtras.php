<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// What FileExtras adds to the DAV tree: its collections and plugins.
final class FileExtras
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
