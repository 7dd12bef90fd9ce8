<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// The properties of tags (oc:id, oc:display-name, oc:user-visible, oc:user-assignable, oc:can-assign) and
// nc:system-tags on files.
final class TagPlugin extends DAV\ServerPlugin
{
    public function __construct(private TagStore $store)
    {
    }

    public function getPluginName()
    {
        return 'simtags';
    }

    public function initialize(DAV\Server $server)
    {
        $server->subscribeEvent('beforeGetProperties', [$this, 'beforeGetProperties']);
    }

    public function beforeGetProperties($path, DAV\INode $node, &$requested, &$returned)
    {
        $oc = '{' . FilesPlugin::NS_OWNCLOUD . '}';
        $values = [];
        if ($node instanceof TagNode) {
            $tag = $node->tag;
            $values = [
                $oc . 'id' => fn () => (string) $tag['id'],
                $oc . 'display-name' => fn () => $tag['name'],
                $oc . 'user-visible' => fn () => $tag['visible'] ? 'true' : 'false',
                $oc . 'user-assignable' => fn () => $tag['assignable'] ? 'true' : 'false',
                $oc . 'can-assign' => fn () => $this->store->canAssign($tag) ? 'true' : 'false',
                '{' . FilesPlugin::NS_NEXTCLOUD . '}color' => fn () => '',
            ];
        } elseif ($node instanceof FsNode) {
            $values['{' . FilesPlugin::NS_NEXTCLOUD . '}system-tags'] = fn () => new TagListProperty($this->store->tagsOf($node->fileId()), $this->store);
        }
        foreach ($requested as $i => $name) {
            if (isset($values[$name])) {
                $returned[200][$name] = $values[$name]();
                unset($requested[$i]);
            }
        }
        return true;
    }
}
