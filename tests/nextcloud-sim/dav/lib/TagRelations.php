<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// systemtags-relations/files/: one TagCollection per file id the viewer can reach; any other id is 404.
final class TagRelations extends DAV\Collection
{
    public function __construct(private FsContext $ctx, private TagStore $store)
    {
    }

    public function getName()
    {
        return 'files';
    }

    public function getChildren()
    {
        return [];
    }

    public function getChild($name)
    {
        $found = ctype_digit((string) $name) ? FileExtras::nodeForFileId($this->ctx, (int) $name) : null;
        if ($found === null) throw new DAV\Exception\NotFound('File with id ' . $name . ' not found');
        return new TagCollection((string) $name, $this->store, $found['node']);
    }
}
