<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// Sabre 1.8's Tree implements MOVE across folders as copy + delete, which would give the moved node a new
// file id and put the source into the trash. File nodes get a real rename (and copy) instead.
final class FilesTree extends DAV\ObjectTree
{
    public function move($sourcePath, $destinationPath)
    {
        [$sourceDir] = DAV\URLUtil::splitPath($sourcePath);
        [$destinationDir, $destinationName] = DAV\URLUtil::splitPath($destinationPath);
        $source = $this->getNodeForPath($sourcePath);
        $target = $this->getNodeForPath($destinationDir);
        if ($source instanceof FsNode && $target instanceof FsDirectory) {
            $target->moveInto((string) $destinationName, $source);
            $this->markDirty($sourcePath);
            $this->markDirty($sourceDir);
            $this->markDirty($destinationDir);
            return;
        }
        if ($source instanceof FsNode || $target instanceof FsDirectory) {
            throw new DAV\Exception\BadRequest('Files can only be moved within files/');
        }
        parent::move($sourcePath, $destinationPath);
    }

    public function copy($sourcePath, $destinationPath)
    {
        [$destinationDir, $destinationName] = DAV\URLUtil::splitPath($destinationPath);
        $source = $this->getNodeForPath($sourcePath);
        $target = $this->getNodeForPath($destinationDir);
        if ($source instanceof FsNode && $target instanceof FsDirectory) {
            $target->copyInto((string) $destinationName, $source);
            $this->markDirty($destinationDir);
            return;
        }
        if ($source instanceof FsNode || $target instanceof FsDirectory) {
            throw new DAV\Exception\BadRequest('Files can only be copied within files/');
        }
        parent::copy($sourcePath, $destinationPath);
    }
}
