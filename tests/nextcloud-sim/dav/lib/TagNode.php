<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// A tag under systemtags/ (fileId null) or under systemtags-relations/files/{fileId}/ (an assignment).
final class TagNode extends DAV\Node
{
    /** @param array{id:int, name:string, visible:bool, assignable:bool} $tag */
    public function __construct(public readonly array $tag, public readonly TagStore $store, private ?FsNode $file = null)
    {
    }

    public function getName()
    {
        return (string) $this->tag['id'];
    }

    public function delete()
    {
        if ($this->file === null) throw new Forbidden('Only administrators can delete tags');
        if (!($this->file->permissions() & FsNode::PERMISSION_UPDATE) || !$this->store->canAssign($this->tag)) {
            throw new Forbidden('No permission to unassign tag ' . $this->tag['id']);
        }
        $this->store->unassign($this->tag['id'], $this->file->fileId());
    }
}
