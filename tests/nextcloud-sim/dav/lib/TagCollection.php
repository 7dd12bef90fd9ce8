<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// systemtags/ (every tag the viewer can see) and systemtags-relations/files/{fileId}/ (the tags on one file;
// PUT {tagId} assigns, DELETE unassigns).
final class TagCollection extends DAV\Collection
{
    public function __construct(private string $name, private TagStore $store, private ?FsNode $file = null)
    {
    }

    public function getName()
    {
        return $this->name;
    }

    public function getChildren()
    {
        $tags = $this->file === null ? $this->store->visibleTags() : $this->store->tagsOf($this->file->fileId());
        return array_map(fn ($tag) => new TagNode($tag, $this->store, $this->file), $tags);
    }

    public function getChild($name)
    {
        $tag = ctype_digit((string) $name) ? $this->store->tag((int) $name) : null;
        if ($tag === null || ($this->file !== null && !$this->store->isAssigned($tag['id'], $this->file->fileId()))) {
            throw new DAV\Exception\NotFound('Tag with id ' . $name . ' not found');
        }
        return new TagNode($tag, $this->store, $this->file);
    }

    public function createFile($name, $data = null)
    {
        if ($this->file === null) throw new DAV\Exception\MethodNotAllowed('Tags are created with POST');
        $tag = ctype_digit((string) $name) ? $this->store->tag((int) $name) : null;
        if ($tag === null) throw new DAV\Exception\PreconditionFailed('Tag with id ' . $name . ' does not exist, cannot assign');
        if (!($this->file->permissions() & FsNode::PERMISSION_UPDATE)) throw new Forbidden('No update permission on the file');
        if (!$this->store->canAssign($tag)) throw new Forbidden('No permission to assign tag ' . $tag['id']);
        $this->store->assign($tag['id'], $this->file->fileId());
        return null;
    }
}
