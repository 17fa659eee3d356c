"""The graph library: records, validation, file formats, networkx algorithms, text and
drawing. Nothing here touches the database; ``knowledge.services`` and ``knowledge.selectors``
put it together with the models."""
