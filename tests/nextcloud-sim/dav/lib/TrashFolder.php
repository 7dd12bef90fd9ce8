<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// A folder in the trash bin: browsable, not changeable.
final class TrashFolder extends DAV\FS\Directory
{
    /** @param array{item:string, location:string, deleted_at:int, fileid:int, deleted_by:string} $meta */
    public function __construct(string $path, public readonly array $meta)
    {
        parent::__construct($path);
    }

    public function realPath(): string
    {
        return $this->path;
    }

    public function createFile($name, $data = null)
    {
        throw new Forbidden('Items in the trash bin cannot be changed');
    }

    public function createDirectory($name)
    {
        throw new Forbidden('Items in the trash bin cannot be changed');
    }
}
