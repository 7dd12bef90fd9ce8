<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// /remote.php/dav/files/: only the requesting user's own home exists here; every other name is 404,
// exactly as for a user that does not exist (no information about other accounts leaks).
final class FilesRoot extends DAV\Collection
{
    public function __construct(private FsContext $ctx)
    {
    }

    public function getName()
    {
        return 'files';
    }

    public function getChild($name)
    {
        if ($name !== $this->ctx->viewer) {
            throw new DAV\Exception\NotFound('Principal with name ' . $name . ' not found');
        }
        return new FsDirectory($this->ctx, $this->ctx->viewer, '', $this->ctx->viewer);
    }

    public function getChildren()
    {
        return [$this->getChild($this->ctx->viewer)];
    }
}
