<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// One version of a file: a kept one ($kept set) or the current content ($kept null).
final class VersionFile extends DAV\File
{
    /** @param array{revision:int, size:int, author:string, label:string}|null $kept */
    public function __construct(public readonly FsFile $file, public readonly int $revision, public readonly ?array $kept)
    {
    }

    public function getName()
    {
        return (string) $this->revision;
    }

    public function contentPath(): string
    {
        if ($this->kept === null) return $this->file->realPath();
        return VersionStore::dir($this->file->ctx, $this->file->owner, $this->file->fileId()) . '/' . $this->revision;
    }

    public function get()
    {
        return fopen($this->contentPath(), 'rb');
    }

    public function getSize()
    {
        clearstatcache(true, $this->contentPath());
        return (int) filesize($this->contentPath());
    }

    public function getContentType()
    {
        return FsFile::mimeFor($this->file->getName());
    }

    public function getETag()
    {
        return (string) $this->revision;
    }

    public function getLastModified()
    {
        return $this->revision;
    }

    public function author(): string
    {
        return $this->kept['author'] ?? $this->file->owner;
    }
}
