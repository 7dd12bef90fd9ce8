<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

final class FsFile extends FsNode implements DAV\IFile
{
    private const MIME = [
        'md' => 'text/markdown', 'txt' => 'text/plain', 'csv' => 'text/csv', 'pdf' => 'application/pdf',
        'json' => 'application/json', 'xml' => 'application/xml', 'html' => 'text/html', 'ics' => 'text/calendar',
        'vcf' => 'text/vcard', 'png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'gif' => 'image/gif',
        'svg' => 'image/svg+xml', 'zip' => 'application/zip', 'mp3' => 'audio/mpeg', 'mp4' => 'video/mp4',
        'docx' => 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'xlsx' => 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'pptx' => 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'odt' => 'application/vnd.oasis.opendocument.text', 'ods' => 'application/vnd.oasis.opendocument.spreadsheet',
    ];

    public function isDirectory(): bool
    {
        return false;
    }

    public function get()
    {
        // A stream, so large files are never read into memory.
        return fopen($this->realPath(), 'rb');
    }

    public function put($data)
    {
        if (!($this->permissions() & self::PERMISSION_UPDATE)) {
            throw new Forbidden('No permission to write to this file');
        }
        // files_versions: the content being replaced is kept (not when it is empty).
        $revision = VersionStore::keep($this, $this->ctx->viewer);
        self::writeStream($this->realPath(), $data);
        VersionStore::written($this->realPath(), $revision);
        $this->ctx->cache->changed($this->owner, $this->path, true);
        return $this->getETag();
    }

    public function getSize()
    {
        return $this->size();
    }

    public function getContentType()
    {
        return self::mimeFor($this->name);
    }

    public static function mimeFor(string $name): string
    {
        $ext = strtolower(pathinfo($name, PATHINFO_EXTENSION));
        return self::MIME[$ext] ?? 'application/octet-stream';
    }

    /** @param resource|string|null $data */
    public static function writeStream(string $target, $data): void
    {
        $out = fopen($target, 'wb');
        if ($out === false) throw new DAV\Exception\ServiceUnavailable('Could not write ' . basename($target));
        if (is_resource($data)) {
            stream_copy_to_stream($data, $out);
        } elseif ($data !== null) {
            fwrite($out, (string) $data);
        }
        fclose($out);
        clearstatcache(true, $target);
    }
}
