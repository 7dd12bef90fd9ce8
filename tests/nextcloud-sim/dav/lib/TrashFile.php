<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// A file in the trash bin: readable, not writable.
final class TrashFile extends DAV\FS\File
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

    public function put($data)
    {
        throw new Forbidden('Items in the trash bin cannot be changed');
    }

    public function getContentType()
    {
        return FsFile::mimeFor(basename($this->meta['location']));
    }

    public function getETag()
    {
        return '"' . $this->getLastModified() . '"';
    }
}
