<?php
declare(strict_types=1);

namespace SimDav;

// Per-request state the file nodes share: who is asking, where data lives, and the metadata tables.
final class FsContext
{
    public function __construct(
        public readonly string $dataDir,
        public readonly string $viewer,
        public readonly FileCache $cache,
        public readonly Shares $shares,
    ) {
    }

    public function filesDir(string $owner): string
    {
        return $this->dataDir . '/' . $owner . '/files';
    }

    public function trashDir(string $owner): string
    {
        return $this->dataDir . '/' . $owner . '/trash';
    }
}
