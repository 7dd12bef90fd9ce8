<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// versions/{uid}/versions/: one folder per file id the viewer can reach, listing its versions (the current one
// included); versions of a shared file are the owner's.
final class VersionHome extends DAV\Collection
{
    public function __construct(private FsContext $ctx)
    {
    }

    public function getName()
    {
        return 'versions';
    }

    public function getChildren()
    {
        return [];
    }

    public function getChild($name)
    {
        $found = ctype_digit((string) $name) ? FileExtras::nodeForFileId($this->ctx, (int) $name) : null;
        if ($found === null || !$found['node'] instanceof FsFile) throw new DAV\Exception\NotFound('File with id ' . $name . ' not found');
        $file = $found['node'];
        $ctx = $this->ctx;
        $list = function () use ($ctx, $file): array {
            $current = new VersionFile($file, VersionStore::currentRevision($ctx, $file), null);
            $kept = array_map(fn ($v) => new VersionFile($file, $v['revision'], $v), VersionStore::kept($ctx, $file->fileId()));
            return [$current, ...$kept];
        };
        return new FileExtrasCollection((string) $name, $list, function (string $revision) use ($list) {
            foreach ($list() as $version) {
                if ($version->getName() === $revision) return $version;
            }
            throw new DAV\Exception\NotFound('Version ' . $revision . ' not found');
        });
    }
}
