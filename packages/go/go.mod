module github.com/crdt-merge/crdt-merge-go

go 1.21
